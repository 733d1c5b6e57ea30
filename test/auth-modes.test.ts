// Connections of the auth modes without an authorization redirect, made by the
// backend and read back on every face: an API key and Basic credentials
// (proven by the template's check request against a loopback API first: a
// refusal stores nothing), a client credentials token obtained from the real
// oidc-provider and renewed exactly once across two instances, and a GitHub
// App installation token minted with a JWT the fake GitHub verifies with the
// app's public key. Secrets are sealed at rest (a key is configured here).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { runNango } from './support/cli.js';
import { MACHINE_CLIENT, startTestIssuer, type TestIssuer } from './support/oidc-issuer.js';
import { startTestServer, type TestServer } from './support/server.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const GOOD_KEY = 'sk-good-0123456789abcdef';
const APP_ID = '424242';
const INSTALLATION = '9000';
const { privateKey: APP_KEY, publicKey: APP_PUBLIC_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let server: TestServer;
let second: RunningServer;
let issuer: TestIssuer;
let api: http.Server;
let apiUrl: string;
let db: pg.Client;
/** What the fake API and the fake GitHub received. */
const received = { checks: 0, installationTokens: 0, jwtIssuers: [] as string[] };
/** Installation tokens GitHub has minted and still honours (the proxy's API calls). */
const honoured = new Set<string>();

beforeAll(async () => {
  api = http.createServer((req, res) => void fakeApi(req, res));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  issuer = await startTestIssuer({ redirectUris: ['http://localhost/oauth/callback'], clientCredentialsTtlSeconds: 8 });
  // Readers renew here (the scheduler would get there first).
  const env = { NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY, NANGO_REFRESH_CONCURRENCY: '0' };
  server = await startTestServer({ env });
  const settings = loadSettings({ PORT: '0', DATABASE_URL: server.database.url, LOG_LEVEL: 'silent', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', ...env });
  second = await startServer(settings, createLogger('silent'));
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const configs = await server.graphql(`mutation($openai: CreateProviderConfigInput!, $twilio: CreateProviderConfigInput!, $machine: CreateProviderConfigInput!, $app: CreateProviderConfigInput!) {
    openai: createProviderConfig(input: $openai) { key authMode clientId }
    twilio: createProviderConfig(input: $twilio) { key authMode }
    machine: createProviderConfig(input: $machine) { key authMode }
    app: createProviderConfig(input: $app) { key authMode appId clientId baseUrl }
  }`, {
    openai: { key: 'openai', provider: 'openai', baseUrl: apiUrl },
    twilio: { key: 'twilio', provider: 'twilio', baseUrl: apiUrl },
    machine: { key: 'machine', provider: 'custom-oauth2-cc', clientId: MACHINE_CLIENT.client_id, clientSecret: MACHINE_CLIENT.client_secret, tokenUrl: `${issuer.issuer}/token`, scopes: ['api:read'] },
    app: { key: 'gh-app', provider: 'github-app', appId: APP_ID, privateKey: APP_KEY, baseUrl: apiUrl },
  });
  expect(configs.errors).toBeUndefined();
  expect(configs.data.app).toEqual({ key: 'gh-app', authMode: 'APP', appId: APP_ID, clientId: null, baseUrl: apiUrl });
  expect(configs.data.openai).toEqual({ key: 'openai', authMode: 'API_KEY', clientId: null });
});

afterAll(async () => {
  await db?.end();
  await second?.close();
  await server?.stop();
  await issuer?.close();
  await new Promise((resolve) => api?.close(resolve));
});

/** OpenAI-like (/v1/models, Bearer), Twilio-like (Basic) and GitHub-like (installation tokens) answers. */
async function fakeApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/v1/models') {
    received.checks += 1;
    const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (key === GOOD_KEY) return reply(200, { data: [] });
    if (key === 'sk-server-error') return reply(500, { error: { message: 'upstream broke' } });
    // Like some APIs, the refusal repeats the key it was given.
    return reply(401, { error: { message: `Incorrect API key provided: ${key}. You can find your API key at your account page.` } });
  }
  if (url.pathname === '/2010-04-01/Accounts.json') {
    received.checks += 1;
    const expected = `Basic ${Buffer.from('AC123:auth-token').toString('base64')}`;
    return req.headers.authorization === expected ? reply(200, { accounts: [] }) : reply(401, { message: 'Authenticate', code: 20003 });
  }
  const installation = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
  if (installation && req.method === 'POST') {
    try {
      const jwt = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const { payload } = await jwtVerify(jwt, await importSPKI(APP_PUBLIC_KEY, 'RS256'), { algorithms: ['RS256'] });
      received.jwtIssuers.push(String(payload.iss));
    } catch {
      return reply(401, { message: 'A JSON web token could not be decoded' });
    }
    if (installation[1] !== INSTALLATION) return reply(404, { message: 'Not Found' });
    received.installationTokens += 1;
    const token = `ghs_${received.installationTokens}_${randomBytes(8).toString('hex')}`;
    honoured.add(token);
    return reply(201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { contents: 'read' } });
  }
  if (url.pathname === '/installation/repositories') {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    return honoured.has(token) ? reply(200, { total_count: 1, repositories: [{ full_name: 'acme/app' }] }) : reply(401, { message: 'Bad credentials' });
  }
  reply(404, { message: 'no such route' });
}

const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId providerConfigKey health { status } } }`;

async function rest(connectionId: string, key: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/connection/${connectionId}?provider_config_key=${key}`);
  return { status: response.status, body: await response.json() };
}

async function stored(key: string, connectionId: string): Promise<number> {
  return (await db.query('SELECT 1 FROM connections WHERE provider_config_key = $1 AND connection_id = $2', [key, connectionId])).rowCount ?? 0;
}

describe('an API key connection made by the backend', () => {
  it('is checked with the API, stored sealed, and read back through REST, GraphQL and the Node client', async () => {
    const checks = received.checks;
    const created = await server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId: 'u1', apiKey: GOOD_KEY } });
    expect(created.errors).toBeUndefined();
    expect(created.data.createConnection).toEqual({ connectionId: 'u1', providerConfigKey: 'openai', health: { status: 'HEALTHY' } });
    expect(received.checks).toBe(checks + 1);
    expect((await rest('u1', 'openai')).body.credentials).toEqual({ type: 'API_KEY', apiKey: GOOD_KEY });
    const graphql = await server.graphql(`{ connection(providerConfigKey: "openai", connectionId: "u1") { credentials { __typename ... on ApiKeyCredentials { apiKey } } } }`);
    expect(graphql.data.connection.credentials).toEqual({ __typename: 'ApiKeyCredentials', apiKey: GOOD_KEY });
    expect(await new Nango({ host: server.url }).getToken('openai', 'u1')).toBe(GOOD_KEY);
    const row = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'u1'`);
    expect(row.rows[0].credentials).not.toContain(GOOD_KEY);
    const events = await db.query(`SELECT type, data::text FROM events WHERE connection_id = 'u1'`);
    expect(events.rows.map((event) => event.type)).toEqual(['connection.created']);
    expect(JSON.stringify(events.rows)).not.toContain(GOOD_KEY);
  });

  it('refused by the API stores nothing, and the caller sees the refusal without the key', async () => {
    const wrong = 'sk-wrong-9876543210';
    const refused = await server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId: 'u2', apiKey: wrong } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('credentials_rejected');
    expect(refused.errors?.[0]?.message).toContain('Incorrect API key provided');
    expect(refused.errors?.[0]?.message).not.toContain(wrong);
    expect(await stored('openai', 'u2')).toBe(0);
    const broken = await server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId: 'u2', apiKey: 'sk-server-error' } });
    expect(broken.errors?.[0]?.extensions?.code).toBe('credentials_check_failed');
    expect(await stored('openai', 'u2')).toBe(0);
    expect((await db.query(`SELECT 1 FROM events WHERE connection_id = 'u2'`)).rowCount).toBe(0);
  });

  it('names what is missing or does not belong, and refuses OAuth templates', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ providerConfigKey: 'openai', connectionId: 'u3' }, 'apiKey: is required'],
      [{ providerConfigKey: 'openai', connectionId: 'u3', apiKey: GOOD_KEY, username: 'x' }, 'username: is not used by API_KEY templates'],
      [{ providerConfigKey: 'twilio', connectionId: 'u3', username: 'AC123' }, 'password: is required'],
      [{ providerConfigKey: 'gh-app', connectionId: 'u3' }, 'installationId: is required'],
      [{ providerConfigKey: 'gh-app', connectionId: 'u3', installationId: '../1' }, 'installationId: must be the numeric installation id'],
      [{ providerConfigKey: 'machine', connectionId: 'u3', apiKey: 'x' }, 'apiKey: is not used by OAUTH2_CC templates'],
    ];
    for (const [input, message] of cases) {
      const body = await server.graphql(CREATE, { input });
      expect(body.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(body.errors?.[0]?.message).toContain(message);
    }
    const oauth = await server.graphql(`mutation { createProviderConfig(input: { key: "gh", provider: "github", clientId: "id", clientSecret: "secret" }) { key } }`);
    expect(oauth.errors).toBeUndefined();
    const refused = await server.graphql(CREATE, { input: { providerConfigKey: 'gh', connectionId: 'u3', apiKey: 'x' } });
    expect(refused.errors?.[0]?.message).toContain('come from the end user');
    expect(await stored('openai', 'u3')).toBe(0);
  });

  it('made from the CLI, the key read from standard input, is read back through REST', async () => {
    const result = await runNango(['connection:create', 'openai', 'cli-user', '--api-key-stdin'], { NANGO_HOSTPORT: server.url }, `${GOOD_KEY}\n`);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Stored connection "cli-user"');
    expect((await rest('cli-user', 'openai')).body.credentials).toEqual({ type: 'API_KEY', apiKey: GOOD_KEY });
    const graphql = await server.graphql(`{ connection(providerConfigKey: "openai", connectionId: "cli-user") { credentials { __typename ... on ApiKeyCredentials { apiKey } } } }`);
    expect(graphql.data.connection.credentials).toEqual({ __typename: 'ApiKeyCredentials', apiKey: GOOD_KEY });
    expect(await new Nango({ host: server.url }).getToken('openai', 'cli-user')).toBe(GOOD_KEY);
    const token = await runNango(['token:get', 'openai', 'cli-user'], { NANGO_HOSTPORT: server.url });
    expect(token.stdout).toBe(`${GOOD_KEY}\n`);
  });
});

describe('Basic credentials made through REST', () => {
  it('POST /connection stores them after the check and answers 201 in the read shape', async () => {
    const post = (password: string) =>
      fetch(`${server.url}/connection`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider_config_key: 'twilio', connection_id: 'b1', username: 'AC123', password }),
      });
    const refused = await post('wrong-token');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('credentials_rejected');
    expect(await stored('twilio', 'b1')).toBe(0);
    const created = await post('auth-token');
    expect(created.status).toBe(201);
    expect(((await created.json()) as { credentials: unknown }).credentials).toEqual({ type: 'BASIC', username: 'AC123', password: 'auth-token' });
    const unknownField = await fetch(`${server.url}/connection`, { method: 'POST', body: JSON.stringify({ provider_config_key: 'twilio', connection_id: 'b2', token: 'x' }) });
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as { error: { message: string } }).error.message).toContain('unknown field "token"');
  });
});

describe('a client credentials connection', () => {
  it('gets its token from the provider at once, and a wrong secret fails the call and stores nothing', async () => {
    const before = issuer.clientCredentialsGrants;
    const created = await server.graphql(CREATE, { input: { providerConfigKey: 'machine', connectionId: 'service' } });
    expect(created.errors).toBeUndefined();
    expect(issuer.clientCredentialsGrants).toBe(before + 1);
    const { body } = await rest('service', 'machine');
    expect(body.credentials).toMatchObject({ type: 'OAUTH2_CC', token: expect.any(String), expires_at: expect.any(String), raw: { token_type: 'Bearer', scope: 'api:read' } });
    expect(await new Nango({ host: server.url }).getToken('machine', 'service')).toBe(body.credentials.token);

    const wrongSecret = await server.graphql(`mutation { createProviderConfig(input: { key: "machine-wrong", provider: "custom-oauth2-cc", clientId: "${MACHINE_CLIENT.client_id}", clientSecret: "not-the-secret", tokenUrl: "${issuer.issuer}/token" }) { key } }`);
    expect(wrongSecret.errors).toBeUndefined();
    const failed = await server.graphql(CREATE, { input: { providerConfigKey: 'machine-wrong', connectionId: 'service' } });
    expect(failed.errors?.[0]?.extensions?.code).toBe('token_error');
    expect(failed.errors?.[0]?.message).toContain('invalid_client');
    expect(failed.errors?.[0]?.message).not.toContain('not-the-secret');
    expect(await stored('machine-wrong', 'service')).toBe(0);
  });

  it('is renewed before it expires, exactly once when readers on two instances find it due together', async () => {
    const first = (await rest('service', 'machine')).body.credentials.token as string;
    const row = await db.query(`SELECT expires_at, refresh_due_at FROM connections WHERE connection_id = 'service' AND provider_config_key = 'machine'`);
    // The scheduler knows when: inside the token's life.
    expect(row.rows[0].refresh_due_at.getTime()).toBeLessThan(row.rows[0].expires_at.getTime());
    // An 8-second token is due in its last 4 seconds.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, row.rows[0].expires_at.getTime() - 3_500 - Date.now())));
    const before = issuer.clientCredentialsGrants;
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        fetch(`${index % 2 ? second.url : server.url}/connection/service?provider_config_key=machine`).then(async (response) => ((await response.json()) as { credentials: { token: string } }).credentials.token),
      ),
    );
    expect(issuer.clientCredentialsGrants).toBe(before + 1);
    expect(new Set(reads).size).toBe(1);
    expect(reads[0]).not.toBe(first);
    const events = await db.query(`SELECT type FROM events WHERE connection_id = 'service' AND provider_config_key = 'machine' ORDER BY id`);
    expect(events.rows.map((event) => event.type)).toEqual(['connection.created']);
  });
});

describe('a GitHub App installation', () => {
  it('gets an installation token minted with a JWT the app key signed, the key sealed at rest', async () => {
    const created = await server.graphql(CREATE, { input: { providerConfigKey: 'gh-app', connectionId: 'acme', installationId: INSTALLATION } });
    expect(created.errors).toBeUndefined();
    expect(received.jwtIssuers.at(-1)).toBe(APP_ID);
    const { body } = await rest('acme', 'gh-app');
    expect(body.credentials).toMatchObject({ type: 'APP', access_token: expect.stringMatching(/^ghs_/), expires_at: expect.any(String), raw: { permissions: { contents: 'read' } } });
    expect(body.connection_config).toEqual({ installation_id: INSTALLATION });
    const graphql = await server.graphql(`{ connection(providerConfigKey: "gh-app", connectionId: "acme") { credentials { __typename ... on AppCredentials { accessToken } } } }`);
    expect(graphql.data.connection.credentials).toEqual({ __typename: 'AppCredentials', accessToken: body.credentials.access_token });
    const config = await db.query(`SELECT client_id, client_secret FROM provider_configs WHERE key = 'gh-app'`);
    expect(config.rows[0].client_id).toBe(APP_ID);
    expect(config.rows[0].client_secret).not.toContain('PRIVATE KEY');
  });

  it('forced to renew, mints a new token; an installation GitHub does not know stores nothing', async () => {
    const before = (await rest('acme', 'gh-app')).body.credentials.access_token;
    const forced = await fetch(`${server.url}/connection/acme?provider_config_key=gh-app&force_refresh=true`);
    expect(((await forced.json()) as { credentials: { access_token: string } }).credentials.access_token).not.toBe(before);
    const gone = await server.graphql(CREATE, { input: { providerConfigKey: 'gh-app', connectionId: 'other', installationId: '1' } });
    expect(gone.errors?.[0]?.extensions?.code).toBe('token_error');
    expect(gone.errors?.[0]?.message).toContain('installation_gone');
    expect(await stored('gh-app', 'other')).toBe(0);
  });

  it('calls the API through the proxy with the installation token, and mints another when GitHub refuses it', async () => {
    const call = () => fetch(`${server.url}/proxy/installation/repositories`, { headers: { 'provider-config-key': 'gh-app', 'connection-id': 'acme' } });
    const first = await call();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ repositories: [{ full_name: 'acme/app' }] });
    // GitHub revokes the installation token early.
    honoured.clear();
    const minted = received.installationTokens;
    const again = await call();
    expect(again.status).toBe(200);
    expect(received.installationTokens).toBe(minted + 1);
  });

  it('refuses a config whose key is not a PEM private key, without repeating it', async () => {
    const body = await server.graphql(`mutation { createProviderConfig(input: { key: "bad-app", provider: "github-app", appId: "1", privateKey: "not a key at all" }) { key } }`);
    expect(body.errors?.[0]?.extensions?.code).toBe('invalid_input');
    expect(body.errors?.[0]?.message).toContain('privateKey: is not a private key in PEM form');
    expect(body.errors?.[0]?.message).not.toContain('not a key at all');
    const withClient = await server.graphql(`mutation { createProviderConfig(input: { key: "bad-key", provider: "openai", clientId: "x", clientSecret: "y" }) { key } }`);
    expect(withClient.errors?.[0]?.message).toContain('clientId: is not used by API_KEY templates');
  });
});
