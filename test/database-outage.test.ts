// The database goes away under a running server: every face says
// database_unavailable (503) instead of a generic failure, a frozen database
// costs a request seconds rather than as long as it stays frozen, and the
// server serves again by itself when the database is back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { runNango } from './support/cli.js';
import { createTestDatabase, seedGithubConnections, type TestDatabase } from './support/database.js';
import { freePort } from './support/server.js';
import { startFakeApi, type FakeApi } from './support/fake-api.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const SECRET = 'sk-outage-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET}` };
const TOKEN_QUERY = '{ connection(providerConfigKey: "github", connectionId: "u1") { credentials { ... on OAuth2Credentials { accessToken } } } }';

let database: TestDatabase;
let proxy: TcpProxy;
let server: RunningServer;
let api: FakeApi;

beforeAll(async () => {
  database = await createTestDatabase();
  const seed = new pg.Client({ connectionString: database.url });
  await seed.connect();
  await seedGithubConnections(seed, ['u1'], 'outage-token');
  // A connection the proxy calls an API on loopback for.
  api = await startFakeApi();
  await seed.query(`INSERT INTO provider_configs (key, provider, base_url) VALUES ('api', 'custom-api-key', $1)`, [api.url]);
  const key = { type: 'API_KEY', apiKey: 'outage-api-key', expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} };
  await seed.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('api', 'u1', $1)`, [JSON.stringify(key)]);
  // An OAuth 2 connection whose token endpoint and API are the same loopback fake.
  await seed.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url, base_url) VALUES ('oauth', 'custom', 'id', 'secret', $1, $2, $3)`, [
    `${api.url}/authorize`,
    `${api.url}/token`,
    api.url,
  ]);
  const token = { type: 'OAUTH2', accessToken: 'old-token', refreshToken: 'refresh-1', tokenType: 'bearer', scopes: [], expiresAt: new Date(Date.now() + 3_600_000).toISOString(), obtainedAt: new Date().toISOString(), raw: {} };
  await seed.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('oauth', 'o1', $1, $2)`, [JSON.stringify(token), token.expiresAt]);
  await seed.end();
  proxy = await startTcpProxy(database.url);
  const settings = loadSettings({ PORT: String(await freePort()), DATABASE_URL: proxy.url, NANGO_SECRET_KEY: SECRET, LOG_LEVEL: 'silent', NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' });
  server = await startServer(settings, createLogger('silent'));
});
afterAll(async () => {
  proxy?.thaw();
  await proxy?.start().catch(() => undefined);
  await server?.close();
  await proxy?.close();
  await api?.close();
  await database?.drop();
});

/** Each face, as a status and the code it carries. */
const faces = {
  restRead: async () => {
    const response = await fetch(`${server.url}/connection/u1?provider_config_key=github`, { headers: AUTH });
    const body = (await response.json()) as { error?: { code: string } };
    return [response.status, body.error?.code ?? 'ok'];
  },
  graphqlRead: async () => graphql(TOKEN_QUERY),
  graphqlConfigs: async () => graphql('{ providerConfigs { key } }'),
  proxied: async () => {
    const response = await fetch(`${server.url}/proxy/user`, { headers: { ...AUTH, 'provider-config-key': 'api', 'connection-id': 'u1' } });
    const body = (await response.json()) as { error?: { code: string } };
    return [response.status, response.headers.get('x-nango-proxy-error') ?? body.error?.code ?? 'ok'];
  },
  health: async () => {
    const response = await fetch(`${server.url}/health`);
    const body = (await response.json()) as { error?: { code: string } };
    return [response.status, body.error?.code ?? 'ok'];
  },
};

async function graphql(query: string) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
  return [response.status, body.errors?.[0]?.extensions.code ?? 'ok'];
}

async function everyFace(): Promise<Record<string, unknown>> {
  const entries = await Promise.all(Object.entries(faces).map(async ([name, ask]) => [name, await ask()] as const));
  return Object.fromEntries(entries);
}

const ALL_OK = { restRead: [200, 'ok'], graphqlRead: [200, 'ok'], graphqlConfigs: [200, 'ok'], proxied: [200, 'ok'], health: [200, 'ok'] };
const ALL_UNAVAILABLE = {
  restRead: [503, 'database_unavailable'],
  graphqlRead: [503, 'database_unavailable'],
  graphqlConfigs: [503, 'database_unavailable'],
  proxied: [503, 'database_unavailable'],
  health: [503, 'database_unavailable'],
};

/** Asks until every face is well again (a pool notices a dead connection on its next use), for at most `ms`. */
async function recovered(ms: number): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const answers = await everyFace();
    if (JSON.stringify(answers) === JSON.stringify(ALL_OK) || Date.now() > until) return answers;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('when the database goes away', () => {
  it('answers 503 database_unavailable on every face, the CLI says so, and it serves again once the database is back', async () => {
    expect(await everyFace()).toEqual(ALL_OK);
    await proxy.stop();
    expect(await everyFace()).toEqual(ALL_UNAVAILABLE);
    const cli = await runNango(['config:list', '--json'], { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe('❌ The database does not answer.\n');
    expect(JSON.parse(cli.stdout).error.code).toBe('database_unavailable');
    await proxy.start();
    expect(await recovered(10_000)).toEqual(ALL_OK);
  });

  it("hands the API's second 401 to the caller even when the database goes away before the connection can be marked NEEDS_REAUTH", async () => {
    expect(await everyFace()).toEqual(ALL_OK);
    api.handlers.set('/token', (_request, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'new-token', token_type: 'bearer', expires_in: 3600, refresh_token: 'refresh-2' }));
    });
    api.handlers.set('/reports', async (request, res) => {
      // The renewed token is refused too, and the database is gone by the time the proxy would record it.
      if (request.headers.authorization === 'Bearer new-token') await proxy.stop();
      res.statusCode = 401;
      res.end('{"message":"no"}');
    });
    const response = await fetch(`${server.url}/proxy/reports`, { headers: { ...AUTH, 'provider-config-key': 'oauth', 'connection-id': 'o1' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-nango-proxy-error')).toBeNull();
    expect(await response.text()).toBe('{"message":"no"}');
    await proxy.start();
    expect(await recovered(10_000)).toEqual(ALL_OK);
  });

  it('answers a request within seconds while the database is frozen, and serves again when it thaws', async () => {
    expect(await everyFace()).toEqual(ALL_OK);
    proxy.freeze();
    const started = Date.now();
    expect(await everyFace()).toEqual(ALL_UNAVAILABLE);
    const waited = Date.now() - started;
    // The bound is DATABASE_TIMEOUT_MS (5 s) for a connection or an answer, whichever the request waits for.
    expect(waited).toBeGreaterThan(4_000);
    expect(waited).toBeLessThan(9_000);
    proxy.thaw();
    expect(await recovered(10_000)).toEqual(ALL_OK);
  });
});
