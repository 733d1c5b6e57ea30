// The setting most attack tests start from: a server with a secret key (and
// whatever else `env` says) and one provider config, `idp`, on a real
// oidc-provider whose redirect URI is that server's callback.
import { expect } from '@jest/globals';
import type { Logger } from '../../server/log.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './server.js';

export interface IdpServer {
  server: TestServer;
  issuer: TestIssuer;
}

export async function startIdpServer(options: { secretKey: string; env?: Record<string, string>; logger?: Logger; scopes?: string[] }): Promise<IdpServer> {
  const port = await freePort();
  const issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  const server = await startTestServer({ port, ...(options.logger ? { logger: options.logger } : {}), env: { NANGO_SECRET_KEY: options.secretKey, ...options.env } });
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.secretKey}` },
    body: JSON.stringify({
      query: 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
      variables: { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: options.scopes ?? ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } },
    }),
  });
  expect(response.status).toBe(200);
  return { server, issuer };
}
