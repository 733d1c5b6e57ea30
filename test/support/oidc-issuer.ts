// A real OpenID provider (oidc-provider) on a loopback port: the authorization
// server the tests talk to.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';

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
  const { default: OidcProvider } = await quietly(() => import('oidc-provider'));
  const provider = await quietly(async () => new OidcProvider(issuer, {
    clients: [{ ...TEST_CLIENT, redirect_uris: redirectUris, grant_types: ['authorization_code', 'refresh_token'] }],
    jwks: { keys: [signingKey()] },
    features: { devInteractions: { enabled: false } },
  }));
  provider.on('server_error', () => undefined);
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'ES256', use: 'sig' };
}

// oidc-provider warns about its in-memory adapter and about Node 20 on every
// start; both are expected in a test authorization server.
async function quietly<T>(build: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await build();
  } finally {
    console.warn = warn;
  }
}
