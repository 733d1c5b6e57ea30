// The finding: the generic `oidc` template never got a refresh token from a
// standard OpenID Connect server. Such a server (here oidc-provider with its
// own defaults) keeps offline_access only with prompt=consent (OpenID Connect
// Core §11) and issues refresh tokens only for offline_access, so a connection
// without them dies at half its token's lifetime.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectFetch, walkFlow } from '../support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let issuer: TestIssuer;

const CREDENTIALS = `query ($key: String!, $id: String!, $force: Boolean) {
  connection(providerConfigKey: $key, connectionId: $id) { credentials(forceRefresh: $force) { ... on OAuth2Credentials { accessToken refreshToken } } }
}`;

async function credentials(key: string, connectionId: string, force = false) {
  const body = await server.graphql(CREDENTIALS, { key, id: connectionId, force });
  expect(body.errors).toBeUndefined();
  return body.data.connection.credentials as { accessToken: string; refreshToken: string | null };
}

async function authorizeParams(key: string): Promise<Record<string, string>> {
  const response = await connectFetch(`${server.url}/oauth/connect/${key}?connection_id=probe`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return Object.fromEntries(new URL(response.headers.get('location')!).searchParams);
}

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], refreshTokens: 'offline_access' });
  server = await startTestServer({ port });
  const app = { provider: 'oidc', issuer: issuer.issuer, clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret };
  for (const input of [
    { key: 'offline', scopes: ['openid', 'offline_access'], ...app },
    { key: 'online', scopes: ['openid'], ...app },
    { key: 'own-prompt', scopes: ['openid', 'offline_access'], authorizationParams: { prompt: 'login consent' }, ...app },
  ]) {
    const body = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input });
    expect(body.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await Promise.all([server?.stop(), issuer?.close()]);
});

describe('the generic oidc template against a standard OpenID Connect server', () => {
  it('gets a refresh token when the config asks for offline_access, and refreshes with it', async () => {
    const flow = await walkFlow(`${server.url}/oauth/connect/offline?connection_id=long-lived`);
    expect(flow.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const first = await credentials('offline', 'long-lived');
    expect(first.refreshToken).toEqual(expect.any(String));

    const refreshed = await credentials('offline', 'long-lived', true);
    expect(issuer.refreshSuccesses).toBe(1);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
  });

  it('asks for consent only with offline_access, and keeps a prompt the config sets itself', async () => {
    expect(await authorizeParams('offline')).toMatchObject({ scope: 'openid offline_access', prompt: 'consent' });
    expect((await authorizeParams('online')).prompt).toBeUndefined();
    expect((await authorizeParams('own-prompt')).prompt).toBe('login consent');
  });

  it('gets no refresh token without offline_access: the server decides, as the spec says', async () => {
    const flow = await walkFlow(`${server.url}/oauth/connect/online?connection_id=short-lived`);
    expect(flow.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await credentials('online', 'short-lived')).refreshToken).toBeNull();
  });
});
