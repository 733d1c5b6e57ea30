// The attack: with a secret key set, provider URLs that reach this machine or
// its network — typed, a self-managed host, or named by an OpenID discovery
// document — make the service POST codes and the client secret there (cloud
// metadata at 169.254.169.254, an admin port on loopback, plain http to
// 0.0.0.0). Every such URL is refused, in every notation, and nothing is sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { connectFetch } from '../support/flow-client.js';
import { NON_PUBLIC_URLS } from '../support/non-public-urls.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';

const SECRET_KEY = 'url-policy-secret-key-0123456789';

let deployment: InProcessServer;
let allowed: InProcessServer;
let issuer: TestIssuer;
let trap: http.Server;
let trapPort: number;
const trapped: string[] = [];

async function admin(server: InProcessServer, query: string, variables: Record<string, unknown>) {
  const response = await server.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** /oauth/connect with a connect session from the backend (the only way in with a secret key), as a path. */
async function connectPath(server: InProcessServer, providerConfigKey: string, connectionId: string): Promise<string> {
  const response = await server.fetch('/connect/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify({ provider_config_key: providerConfigKey, connection_id: connectionId }),
  });
  const { data } = (await response.json()) as { data: { connect_url: string } };
  const url = new URL(data.connect_url);
  return `${url.pathname}${url.search}`;
}

const CREATE = 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key tokenUrl } }';
const app = { clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret, scopes: ['openid'] };
const unique = () => `cfg-${Math.random().toString(36).slice(2, 10)}`;

/** An issuer whose discovery document sends the token request to http://0.0.0.0 (the trap, on this machine). */
let lyingIssuer: http.Server;
let lyingIssuerUrl: string;

beforeAll(async () => {
  trap = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      trapped.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'stolen', token_type: 'bearer' }));
    });
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as AddressInfo).port;
  lyingIssuer = http.createServer((req, res) => {
    const document = {
      issuer: lyingIssuerUrl,
      authorization_endpoint: `${lyingIssuerUrl}/auth`,
      token_endpoint: `http://0.0.0.0:${trapPort}/token`,
      jwks_uri: `${lyingIssuerUrl}/jwks`,
      response_types_supported: ['code'],
    };
    res.writeHead(req.url === '/.well-known/openid-configuration' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => lyingIssuer.listen(0, '127.0.0.1', resolve));
  lyingIssuerUrl = `http://127.0.0.1:${(lyingIssuer.address() as AddressInfo).port}`;
  [deployment, allowed, issuer] = await Promise.all([
    // NANGO_ALLOW_PRIVATE_PROVIDER_URLS unset, as in production (the suite's support sets it; '' means unset).
    startInProcessServer({ env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_ALLOW_PRIVATE_PROVIDER_URLS: '' } }),
    startInProcessServer({ env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' } }),
    startTestIssuer(['http://localhost/oauth/callback']),
  ]);
});
afterAll(async () => {
  await Promise.all([deployment?.stop(), allowed?.stop(), issuer?.close()]);
  await Promise.all([trap, lyingIssuer].map((server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))));
});

describe('with a secret key and NANGO_ALLOW_PRIVATE_PROVIDER_URLS unset', () => {
  it.each(NON_PUBLIC_URLS)('refuses %s as a custom token URL with provider_url_refused', async (url) => {
    const body = await admin(deployment, CREATE, { input: { key: unique(), provider: 'custom', authorizationUrl: 'https://auth.example.com/authorize', tokenUrl: url, ...app } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'provider_url_refused', field: 'tokenUrl' });
  });

  it.each(['169.254.169.254', '127.0.0.1:8443', 'localhost', 'gitlab.localhost', '[::1]', '10.0.0.8', '0.0.0.0', '2130706433'])(
    'refuses %s as a self-managed host',
    async (hostname) => {
      const body = await admin(deployment, CREATE, { input: { key: unique(), provider: 'gitlab-self-managed', params: { hostname }, ...app } });
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'provider_url_refused', field: 'params.hostname' });
    },
  );

  it('refuses an OpenID issuer on loopback before fetching its discovery document', async () => {
    const body = await admin(deployment, CREATE, { input: { key: unique(), provider: 'oidc', issuer: issuer.issuer, ...app } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'provider_url_refused', field: 'issuer' });
  });

  it('accepts public https hosts as before', async () => {
    const body = await admin(deployment, CREATE, { input: { key: unique(), provider: 'gitlab-self-managed', params: { hostname: 'gitlab.example.com' }, ...app } });
    expect(body.errors).toBeUndefined();
  });

  it('refuses, at connect time, a stored config whose host is this machine: nothing is sent', async () => {
    // Written by a server that ran with NANGO_ALLOW_PRIVATE_PROVIDER_URLS=true, or before this policy.
    const db = new pg.Client({ connectionString: deployment.database.url });
    await db.connect();
    await db.query(
      `INSERT INTO provider_configs (key, provider, client_id, client_secret, scopes, authorization_url, token_url) VALUES ('old', 'custom', 'id', 'secret', '{}', $1, $2)`,
      [`http://127.0.0.1:${trapPort}/auth`, `http://127.0.0.1:${trapPort}/token`],
    );
    await db.end();
    const response = await connectFetch(await connectPath(deployment, 'old', 'u1'), { send: deployment.fetch });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('provider_url_refused');
    expect(trapped).toEqual([]);
  });
});

describe('discovered endpoints pass the same policy', () => {
  it('refuses an issuer whose discovery document names http://0.0.0.0 as its token endpoint, and sends nothing there', async () => {
    for (const server of [deployment, allowed]) {
      const body = await admin(server, CREATE, { input: { key: unique(), provider: 'oidc', issuer: lyingIssuerUrl, ...app } });
      expect(body.errors?.[0]?.extensions?.code).toBe('provider_url_refused');
    }
    const stated = await admin(allowed, CREATE, { input: { key: unique(), provider: 'oidc', issuer: lyingIssuerUrl, ...app } });
    expect(stated.errors?.[0]?.message).toContain('token_endpoint');
    expect(trapped).toEqual([]);
  });

  it('refuses it at connect time too, for a config stored before the policy', async () => {
    const db = new pg.Client({ connectionString: allowed.database.url });
    await db.connect();
    await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, scopes, issuer) VALUES ('lying', 'oidc', 'id', 'secret', '{openid}', $1)`, [lyingIssuerUrl]);
    await db.end();
    const response = await connectFetch(await connectPath(allowed, 'lying', 'u1'), { send: allowed.fetch });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('provider_url_refused');
    expect(trapped).toEqual([]);
  });

  it('accepts the real issuer on loopback when private provider URLs are allowed (the test suite, local development)', async () => {
    const body = await admin(allowed, CREATE, { input: { key: unique(), provider: 'oidc', issuer: issuer.issuer, ...app } });
    expect(body.errors).toBeUndefined();
    expect(body.data.createProviderConfig.tokenUrl).toBe(`${issuer.issuer}/token`);
  });
});
