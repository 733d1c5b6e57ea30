// A real OpenID provider (oidc-provider) on a loopback port: the authorization
// server the tests talk to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestIssuer {
  issuer: string;
  provider: Provider;
  close(): Promise<void>;
}

export const TEST_CLIENT = {
  client_id: 'test-client',
  client_secret: 'test-client-secret-0123456789',
};

export async function startTestIssuer(redirectUris: string[] = ['http://localhost:3003/oauth/callback']): Promise<TestIssuer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{ ...TEST_CLIENT, redirect_uris: redirectUris, grant_types: ['authorization_code', 'refresh_token'] }],
  });
  provider.on('server_error', () => undefined);
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
