// A connection's health as every face shows it: a grant the end user revoked
// makes it NEEDS_REAUTH, a provider that is down makes it REFRESH_FAILING with
// the next attempt after the backoff, and connecting again makes it HEALTHY.
// The refreshes are the readers' (the scheduler is off), against a real
// oidc-provider and a token URL where nothing listens.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer } from '../server/start.js';
import { runNango } from './support/cli.js';
import { walkFlow } from './support/flow-client.js';
import { TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { startServerWithIssuer, type ServerWithIssuer } from './support/server-with-issuer.js';
import { createTestDatabase } from './support/database.js';
import { freePort, type TestServer } from './support/server.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const HEALTH = '{ status since code description nextAttemptAt }';

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;
let running: ServerWithIssuer;

beforeAll(async () => {
  running = await startServerWithIssuer();
  ({ server, issuer, db } = running);
  const created = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
  // A provider that is down: its token URL is a port nothing listens on.
  const closed = await freePort();
  await db.query(
    `INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('down', 'custom', 'id', 'secret', $1, $2)`,
    [`http://127.0.0.1:${closed}/authorize`, `http://127.0.0.1:${closed}/token`],
  );
  const expired = { type: 'OAUTH2', accessToken: 'expired', refreshToken: 'refresh-me', tokenType: 'bearer', scopes: [], expiresAt: new Date(Date.now() - 1000).toISOString(), obtainedAt: new Date(Date.now() - 3_600_000).toISOString(), raw: {} };
  await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('down', 'outage-user', $1, $2)`, [JSON.stringify(expired), expired.expiresAt]);
  // In its refresh window (an hour-long token with ten minutes left) but still valid.
  const valid = { ...expired, accessToken: 'still-valid', expiresAt: new Date(Date.now() + 600_000).toISOString(), obtainedAt: new Date(Date.now() - 3_000_000).toISOString() };
  await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('down', 'valid-user', $1, $2)`, [JSON.stringify(valid), valid.expiresAt]);
});
afterAll(() => running?.stop());

async function connect(connectionId: string): Promise<{ refreshToken: string }> {
  const result = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=${connectionId}`);
  expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  const { rows } = await db.query('SELECT credentials FROM connections WHERE connection_id = $1', [connectionId]);
  return JSON.parse(rows[0].credentials);
}

async function health(key: string, connectionId: string) {
  const body = await server.graphql(`query ($key: String!, $id: String!) { connection(providerConfigKey: $key, connectionId: $id) { health ${HEALTH} } }`, { key, id: connectionId });
  expect(body.errors).toBeUndefined();
  return body.data.connection.health;
}

async function listed(health: string): Promise<string[]> {
  const body = await server.graphql(`query ($health: ConnectionHealthStatus) { connections(health: $health) { nodes { connectionId health { status } } } }`, { health });
  expect(body.errors).toBeUndefined();
  for (const node of body.data.connections.nodes) expect(node.health.status).toBe(health);
  return body.data.connections.nodes.map((node: { connectionId: string }) => node.connectionId);
}

async function gauge(url = server.url): Promise<Record<string, number>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  // The other metrics are there whatever became of the count.
  expect(text).toContain('nango_db_pool_connections{state="idle"}');
  const values: Record<string, number> = {};
  for (const [, status, value] of text.matchAll(/^nango_connections\{health="(\w+)"\} (\d+)$/gm)) values[status!] = Number(value);
  return values;
}

describe('a connection whose end user revoked the grant', () => {
  let revoked: { refreshToken: string };

  beforeAll(async () => {
    await connect('healthy-user');
    revoked = await connect('revoked-user');
    await issuer.revoke(revoked.refreshToken);
    // The read that finds out: the provider refuses the refresh token.
    const read = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "revoked-user") { credentials(forceRefresh: true) { __typename } } }');
    expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'refresh_failed', providerError: 'invalid_grant' });
  });

  it('is NEEDS_REAUTH with the provider code in GraphQL, and a healthy one is HEALTHY', async () => {
    expect(await health('idp', 'revoked-user')).toMatchObject({ status: 'NEEDS_REAUTH', code: 'invalid_grant', nextAttemptAt: null, since: expect.any(String) });
    expect(Date.now() - Date.parse((await health('idp', 'revoked-user')).since)).toBeLessThan(30_000);
    expect(await health('idp', 'healthy-user')).toMatchObject({ status: 'HEALTHY', code: null, description: null, nextAttemptAt: null });
  });

  it('shows its health beside the credentials in REST, the token still served while it has not expired', async () => {
    const response = await fetch(`${server.url}/connection/revoked-user?provider_config_key=idp`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.credentials.access_token).toEqual(expect.any(String));
    expect(body.health).toEqual({ status: 'NEEDS_REAUTH', since: expect.any(String), code: 'invalid_grant', description: body.health.description, next_attempt_at: null });
    const healthy = (await (await fetch(`${server.url}/connection/healthy-user?provider_config_key=idp`)).json()) as any;
    expect(healthy.health).toMatchObject({ status: 'HEALTHY', code: null, next_attempt_at: null });
  });

  it('is listed by connections(health: NEEDS_REAUTH), GET /connection?health=needs_reauth and the Node client, and left out of the healthy', async () => {
    expect(await listed('NEEDS_REAUTH')).toEqual(['revoked-user']);
    expect(await listed('HEALTHY')).toEqual(expect.arrayContaining(['healthy-user']));
    expect(await listed('HEALTHY')).not.toContain('revoked-user');

    const rest = (await (await fetch(`${server.url}/connection?health=needs_reauth`)).json()) as any;
    expect(rest.connections.map((entry: { connection_id: string }) => entry.connection_id)).toEqual(['revoked-user']);
    const refused = await fetch(`${server.url}/connection?health=sick`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ code: 'invalid_input', message: expect.stringContaining('health') });

    const page = await new Nango({ host: server.url }).listConnections({ health: 'NEEDS_REAUTH' });
    expect(page.connections.map((connection) => [connection.connectionId, connection.health.status, connection.health.code])).toEqual([['revoked-user', 'NEEDS_REAUTH', 'invalid_grant']]);
  });

  it('is listed by nango connection:list --health needs_reauth, and connection:get shows why', async () => {
    const env = { NANGO_HOSTPORT: server.url };
    const list = await runNango(['connection:list', '--health', 'needs_reauth'], env);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const [header, , ...rows] = list.stdout.trim().split('\n');
    expect(header).toMatch(/^CONNECTION ID\s+PROVIDER CONFIG KEY\s+PROVIDER\s+HEALTH\s+CREATED$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^revoked-user\s+idp\s+oidc\s+NEEDS_REAUTH\s/);

    const json = await runNango(['connection:list', '--health', 'NEEDS_REAUTH', '--json'], env);
    expect(JSON.parse(json.stdout).map((connection: { connectionId: string }) => connection.connectionId)).toEqual(['revoked-user']);
    const get = await runNango(['connection:get', 'idp', 'revoked-user'], env);
    expect(get.stdout).toMatch(/^health:\s+NEEDS_REAUTH since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z \(invalid_grant/m);
    const wrong = await runNango(['connection:list', '--health', 'sick'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--health must be one of healthy, refresh_failing, needs_reauth');
  });

  it('is HEALTHY again once its end user connects again', async () => {
    const again = await connect('revoked-user');
    expect(again.refreshToken).not.toBe(revoked.refreshToken);
    expect(await health('idp', 'revoked-user')).toMatchObject({ status: 'HEALTHY', code: null, description: null, nextAttemptAt: null });
    expect(await listed('NEEDS_REAUTH')).toEqual([]);
  });
});

describe('a connection whose provider is down', () => {
  let failedAt: number;

  beforeAll(async () => {
    failedAt = Date.now();
    const read = await server.graphql('{ connection(providerConfigKey: "down", connectionId: "outage-user") { credentials { __typename } } }');
    expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'refresh_failed', providerError: 'provider_unreachable' });
  });

  it('is REFRESH_FAILING with the next attempt after the first backoff (30 s)', async () => {
    const failing = await health('down', 'outage-user');
    expect(failing).toMatchObject({ status: 'REFRESH_FAILING', code: 'provider_unreachable', description: expect.any(String) });
    const next = Date.parse(failing.nextAttemptAt);
    expect(next).toBeGreaterThanOrEqual(failedAt + 29_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 31_000);
    expect(await listed('REFRESH_FAILING')).toEqual(['outage-user']);
  });

  it('serves a token that is still valid, and the same reply says the connection is now REFRESH_FAILING', async () => {
    const response = await fetch(`${server.url}/connection/valid-user?provider_config_key=down`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { credentials: { access_token: string }; health: { status: string; code: string; next_attempt_at: string } };
    expect(body.credentials.access_token).toBe('still-valid');
    expect(body.health).toMatchObject({ status: 'REFRESH_FAILING', code: 'provider_unreachable', next_attempt_at: expect.any(String) });
    expect(await health('down', 'valid-user')).toMatchObject({ status: 'REFRESH_FAILING', code: 'provider_unreachable' });
  });
});

describe('the nango_connections gauge', () => {
  it('counts connections by health', async () => {
    await db.query(`UPDATE connections SET health = 'NEEDS_REAUTH', health_code = 'invalid_grant' WHERE connection_id = 'healthy-user'`);
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM connections WHERE health = 'HEALTHY'`);
      // The healthy count is an estimate from the table statistics, which the server's connections report within a second or so.
      let counts: Record<string, number> = {};
      for (let attempt = 0; attempt < 40; attempt++) {
        counts = await gauge();
        if (counts.HEALTHY === rows[0].n) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(counts).toEqual({ HEALTHY: rows[0].n, REFRESH_FAILING: 2, NEEDS_REAUTH: 1 });
    } finally {
      await db.query(`UPDATE connections SET health = 'HEALTHY', health_code = NULL WHERE connection_id = 'healthy-user'`);
    }
  });
});

describe('a list filtered by health', () => {
  it('pages through the unhealthy connections newest first, and by provider config', async () => {
    const credentials = JSON.stringify({ type: 'OAUTH2', accessToken: 'a', refreshToken: 'r', tokenType: 'bearer', scopes: [], expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} });
    for (const [key, id] of [['idp', 'lost-1'], ['down', 'lost-2'], ['idp', 'lost-3'], ['idp', 'lost-4']]) {
      await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, health, health_code) VALUES ($1, $2, $3, 'NEEDS_REAUTH', 'refresh_token_lost')`, [key, id, credentials]);
    }
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const body: any = await server.graphql('query ($after: String) { connections(health: NEEDS_REAUTH, first: 3, after: $after) { nodes { connectionId } pageInfo { endCursor hasNextPage } } }', { after });
      expect(body.errors).toBeUndefined();
      pages.push(body.data.connections.nodes.map((node: { connectionId: string }) => node.connectionId));
      after = body.data.connections.pageInfo.hasNextPage ? body.data.connections.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([['lost-4', 'lost-3', 'lost-2'], ['lost-1']]);

    const byKey = await server.graphql('{ connections(health: NEEDS_REAUTH, providerConfigKey: "idp") { nodes { connectionId } } }');
    expect(byKey.data.connections.nodes.map((node: { connectionId: string }) => node.connectionId)).toEqual(['lost-4', 'lost-3', 'lost-1']);
    const rest = (await (await fetch(`${server.url}/connection?health=Needs_Reauth&provider_config_key=down`)).json()) as any;
    expect(rest.connections.map((entry: { connection_id: string }) => entry.connection_id)).toEqual(['lost-2']);
  });
});

describe('the nango_connections gauge while the database is away', () => {
  it('leaves the gauge out of the scrape, within 2 s when the database does not answer, and counts again when it is back', async () => {
    const database = await createTestDatabase();
    const proxy = await startTcpProxy(database.url);
    const away = await startServer(loadSettings({ PORT: String(await freePort()), DATABASE_URL: proxy.url, LOG_LEVEL: 'silent', NANGO_REFRESH_CONCURRENCY: '0' }), createLogger('silent'));
    try {
      expect(await gauge(away.url)).toEqual({ HEALTHY: 0, REFRESH_FAILING: 0, NEEDS_REAUTH: 0 });
      await proxy.stop();
      expect(await gauge(away.url)).toEqual({});
      await proxy.start();
      proxy.freeze();
      const started = Date.now();
      expect(await gauge(away.url)).toEqual({});
      expect(Date.now() - started).toBeLessThan(3_000);
      proxy.thaw();
      let counts: Record<string, number> = {};
      for (let attempt = 0; attempt < 50 && counts.NEEDS_REAUTH === undefined; attempt++) {
        counts = await gauge(away.url);
        if (counts.NEEDS_REAUTH === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(counts).toEqual({ HEALTHY: 0, REFRESH_FAILING: 0, NEEDS_REAUTH: 0 });
    } finally {
      proxy.thaw();
      await proxy.start().catch(() => undefined);
      await away.close();
      await proxy.close();
      await database.drop();
    }
  });
});
