// Attack: someone who can write the database (a leaked backup restored, a SQL
// injection elsewhere, a careless operator) but does not hold the encryption
// key copies one row's sealed secret onto another row, so that the other row
// serves it. With encryption on, nothing copied may be served or used.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../../server/log.js';
import { loadSettings } from '../../server/settings.js';
import { startServer, type RunningServer } from '../../server/start.js';
import { keyFingerprint, sealColumnOnly } from '../support/column-only-seal.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { connectFetch, walkFlow } from '../support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';
import { freePort, graphqlOver } from '../support/server.js';

const KEY = randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, any>);

let database: TestDatabase;
let issuer: TestIssuer;
let port: number;
let db: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  // Two-second tokens: due for refresh a second after they are issued.
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], accessTokenTtlSeconds: 2 });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await issuer?.close();
  await database?.drop();
});

function start(env: Record<string, string> = { NANGO_ENCRYPTION_KEY: b64(KEY) }): Promise<RunningServer> {
  // Refreshes are the readers' here (no scheduler refreshing ahead), so each test sees its own.
  return startServer(loadSettings({ PORT: String(port), DATABASE_URL: database.url, LOG_LEVEL: 'info', NANGO_REFRESH_CONCURRENCY: '0', ...env }), createLogger('info', sink));
}

const graphql = (server: RunningServer) => graphqlOver((init) => fetch(`${server.url}/graphql`, init));

const CREATE = 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }';
const readQuery = (key: string, id: string) =>
  `{ connection(providerConfigKey: "${key}", connectionId: "${id}") { credentials { ... on OAuth2Credentials { accessToken refreshToken } } } }`;

async function createConfig(server: RunningServer, key: string, at: TestIssuer = issuer): Promise<void> {
  const created = await graphql(server)(CREATE, {
    input: { key, provider: 'oidc', issuer: at.issuer, scopes: ['openid', 'offline_access'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
}

async function connect(server: RunningServer, key: string, id: string, account: string, at: TestIssuer = issuer): Promise<void> {
  at.accountId = account;
  const flow = await walkFlow(`${server.url}/oauth/connect/${key}?connection_id=${id}`);
  expect(flow.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
}

async function tokensOf(server: RunningServer, key: string, id: string): Promise<{ accessToken: string; refreshToken: string }> {
  const read = await graphql(server)(readQuery(key, id));
  expect(read.errors).toBeUndefined();
  return read.data.connection.credentials;
}

/** What a server must answer for a connection whose stored value did not open: internal_error, no credentials, on both faces. */
async function expectRefused(server: RunningServer, key: string, id: string, secrets: string[]): Promise<void> {
  const rest = await fetch(`${server.url}/connection/${id}?provider_config_key=${key}`);
  const restBody = await rest.text();
  expect(rest.status).toBe(500);
  expect(JSON.parse(restBody).error.code).toBe('internal_error');
  const gql = await graphql(server)(readQuery(key, id));
  expect(gql.errors?.[0]?.extensions?.code).toBe('internal_error');
  expect(gql.data?.connection ?? null).toBeNull();
  for (const secret of secrets) expect(restBody + JSON.stringify(gql)).not.toContain(secret);
}

function tamperingLogged(since: number, table: string, column: string, row: Record<string, string>): void {
  const entries = logged().slice(since).filter((entry) => /tampering/.test(entry.msg));
  expect(entries.length).toBeGreaterThan(0);
  for (const entry of entries) {
    expect(entry).toMatchObject({ table, column, row });
    expect(entry.level).toBeGreaterThanOrEqual(40);
  }
}

describe('a sealed value copied onto another row', () => {
  let server: RunningServer;
  afterAll(async () => {
    await server?.close();
  });

  it("is not served: connection B holding A's sealed credentials answers internal_error and logs tampering", async () => {
    server = await start();
    await createConfig(server, 'idp');
    await connect(server, 'idp', 'alice-conn', 'alice');
    await connect(server, 'idp', 'mallory-conn', 'mallory');
    const alice = await tokensOf(server, 'idp', 'alice-conn');

    await db.query(`UPDATE connections SET credentials = (SELECT credentials FROM connections WHERE connection_id = 'alice-conn') WHERE connection_id = 'mallory-conn'`);
    const since = lines.length;
    await expectRefused(server, 'idp', 'mallory-conn', [alice.accessToken, alice.refreshToken]);
    tamperingLogged(since, 'connections', 'credentials', { provider_config_key: 'idp', connection_id: 'mallory-conn' });
    expect(lines.slice(since).join('\n')).not.toContain(alice.accessToken);
    // The row the value came from still reads.
    expect((await tokensOf(server, 'idp', 'alice-conn')).accessToken).toEqual(expect.any(String));
  });

  it("is not used: a config holding another config's sealed client secret starts no flow and refreshes nothing", async () => {
    await createConfig(server, 'idp-b');
    await connect(server, 'idp-b', 'bob-conn', 'bob');
    await db.query(`UPDATE provider_configs SET client_secret = (SELECT client_secret FROM provider_configs WHERE key = 'idp') WHERE key = 'idp-b'`);
    const since = lines.length;

    const flow = await connectFetch(`${server.url}/oauth/connect/idp-b?connection_id=someone`, { redirect: 'manual' });
    expect(flow.status).toBe(500);
    expect(flow.headers.get('location')).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 1200)); // bob's token is due: a read would refresh it
    const attempts = issuer.refreshAttempts;
    const read = await graphql(server)(readQuery('idp-b', 'bob-conn'));
    expect(read.errors?.[0]?.extensions?.code).toBe('internal_error');
    // And again: the refused refresh was recorded (its claim released, a backoff set), so the next reader is
    // answered at once, without waiting on a claim and without the provider being asked.
    const again = await graphql(server)(readQuery('idp-b', 'bob-conn'));
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'refresh_failed', providerError: 'internal_error' });
    expect(issuer.refreshAttempts).toBe(attempts);
    tamperingLogged(since, 'provider_configs', 'client_secret', { key: 'idp-b' });
    expect(lines.slice(since).join('\n')).not.toContain(TEST_CLIENT.client_secret);
  });

  it("is not used: a flow whose state holds another flow's sealed PKCE verifier stores nothing", async () => {
    // Another flow, left pending at the provider: its verifier is what the attacker copies.
    const other = await connectFetch(`${server.url}/oauth/connect/idp?connection_id=pending`, { redirect: 'manual' });
    expect(other.status).toBe(302);
    const otherState = new URL(other.headers.get('location')!).searchParams.get('state');
    issuer.accountId = 'carol';
    const since = lines.length;
    const flow = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=carol-conn`, {
      beforeVisit: async (url) => {
        const state = url.startsWith(issuer.issuer) ? new URL(url).searchParams.get('state') : null;
        if (!state) return;
        await db.query('UPDATE oauth_sessions SET code_verifier = (SELECT code_verifier FROM oauth_sessions WHERE state = $1) WHERE state = $2', [otherState, state]);
      },
    });
    expect(flow.status).toBe(500);
    expect((await db.query(`SELECT 1 FROM connections WHERE connection_id = 'carol-conn'`)).rowCount).toBe(0);
    expect(logged().slice(since).some((entry) => /tampering/.test(entry.msg) && entry.table === 'oauth_sessions' && entry.column === 'code_verifier')).toBe(true);
  });
});

describe('a database sealed in the old column-only format', () => {
  let old: TestDatabase;
  let client: pg.Client;
  // Hour-long tokens: the reads compare them with what was stored, so none may be refreshed in between.
  let lasting: TestIssuer;
  afterAll(async () => {
    await client?.end();
    await lasting?.close();
    await old?.drop();
  });

  it('is re-sealed for its rows at start-up, once, still serves the right tokens, and refuses an old value copied in later', async () => {
    old = await createTestDatabase();
    lasting = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`] });
    client = new pg.Client({ connectionString: old.url });
    await client.connect();
    const startOn = (env: Record<string, string>) =>
      startServer(loadSettings({ PORT: String(port), DATABASE_URL: old.url, LOG_LEVEL: 'info', ...env }), createLogger('info', sink));

    // What the previous release left: every secret sealed for its column only, and the key's fingerprint recorded.
    const plain = await startOn({});
    try {
      await createConfig(plain, 'idp', lasting);
      await connect(plain, 'idp', 'alice-conn', 'alice', lasting);
      await connect(plain, 'idp', 'mallory-conn', 'mallory', lasting);
    } finally {
      await plain.close();
    }
    const { rows: connections } = await client.query<{ connection_id: string; credentials: string }>('SELECT connection_id, credentials FROM connections ORDER BY connection_id');
    const tokens = Object.fromEntries(connections.map((row) => [row.connection_id, JSON.parse(row.credentials).accessToken as string]));
    const v1 = Object.fromEntries(connections.map((row) => [row.connection_id, sealColumnOnly(row.credentials, 'connections.credentials', KEY)]));
    for (const [id, sealed] of Object.entries(v1)) await client.query('UPDATE connections SET credentials = $1 WHERE connection_id = $2', [sealed, id]);
    await client.query('UPDATE provider_configs SET client_secret = $1', [sealColumnOnly(TEST_CLIENT.client_secret, 'provider_configs.client_secret', KEY)]);
    await client.query('INSERT INTO encryption_state (key_fingerprint) VALUES ($1)', [keyFingerprint(KEY)]);

    const since = lines.length;
    const upgraded = await startOn({ NANGO_ENCRYPTION_KEY: b64(KEY) });
    let afterUpgrade: string[];
    try {
      const stored = await client.query<{ value: string }>('SELECT credentials AS value FROM connections UNION ALL SELECT client_secret FROM provider_configs');
      afterUpgrade = stored.rows.map((row) => row.value).sort();
      for (const value of afterUpgrade) expect(value.startsWith('enc:v2:')).toBe(true);
      expect(logged().slice(since).some((entry) => entry.msg.includes('re-sealed') && entry.resealedValues === 3)).toBe(true);
      // The right tokens for each row (read before they are due: no refresh in between).
      expect((await tokensOf(upgraded, 'idp', 'alice-conn')).accessToken).toBe(tokens['alice-conn']);
      expect((await tokensOf(upgraded, 'idp', 'mallory-conn')).accessToken).toBe(tokens['mallory-conn']);

      // Alice's old value, kept from a backup, written onto Mallory's row: the old format no longer opens anywhere.
      await client.query(`UPDATE connections SET credentials = $1 WHERE connection_id = 'mallory-conn'`, [v1['alice-conn']]);
      await expectRefused(upgraded, 'idp', 'mallory-conn', [tokens['alice-conn']!]);
      expect((await tokensOf(upgraded, 'idp', 'alice-conn')).accessToken).toBe(tokens['alice-conn']);
    } finally {
      await upgraded.close();
    }

    // Recorded: the next start re-seals nothing (a copied-in old value stays refused, not sealed for its new row).
    const again = await startOn({ NANGO_ENCRYPTION_KEY: b64(KEY) });
    try {
      await expectRefused(again, 'idp', 'mallory-conn', [tokens['alice-conn']!]);
    } finally {
      await again.close();
    }
  }, 60_000);
});
