import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { rotateEncryptionKey } from '../server/db/encryption.js';
import { createDatabasePool } from '../server/db/pool.js';
import { SEALED, SecretBox } from '../server/db/secret-box.js';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer, type RunningServer } from '../server/start.js';
import { keyFingerprint, sealColumnOnly } from './support/column-only-seal.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectFetch, walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort } from './support/server.js';

const KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

let database: TestDatabase;
let issuer: TestIssuer;
let port: number;
let db: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], accessTokenTtlSeconds: 2 });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await issuer?.close();
  await database?.drop();
});

function start(env: Record<string, string>): Promise<RunningServer> {
  return startServer(loadSettings({ PORT: String(port), DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env }), createLogger('silent'));
}

async function graphql(server: RunningServer, query: string, variables?: unknown) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as any;
}

/** Every value of every text, json or bytea column of every table, as text. */
async function wholeDatabase(): Promise<string> {
  const { rows: columns } = await db.query(`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'bytea', 'ARRAY')`);
  const dumps: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await db.query(`SELECT "${column}"::text AS value FROM "${table}"`);
    dumps.push(...rows.map((row) => `${table}.${column}=${row.value}`));
  }
  return dumps.join('\n');
}

const READ = '{ connection(providerConfigKey: "idp", connectionId: "user-1") { credentials { ... on OAuth2Credentials { accessToken refreshToken } } } }';

describe('encryption at rest', () => {
  it('leaves no token, secret or verifier readable in the database after a flow and a refresh', async () => {
    const server = await start({ NANGO_ENCRYPTION_KEY: b64(KEY) });
    try {
      const created = await graphql(server, 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
        input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
      });
      expect(created.errors).toBeUndefined();
      expect((await walkFlow(`${server.url}/oauth/connect/idp?connection_id=user-1`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
      const first = (await graphql(server, READ)).data.connection.credentials;
      await new Promise((resolve) => setTimeout(resolve, 1200)); // 2-second tokens: due for refresh
      const refreshed = (await graphql(server, READ)).data.connection.credentials;
      expect(refreshed.accessToken).not.toBe(first.accessToken);

      // A flow left pending: its PKCE verifier is at rest too.
      await connectFetch(`${server.url}/oauth/connect/idp?connection_id=user-2`, { redirect: 'manual' });
      const { rows } = await db.query('SELECT state, code_verifier FROM oauth_sessions');
      const verifier = new SecretBox(KEY).open(rows[0].code_verifier, SEALED.codeVerifier, rows[0].state);
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,}$/);

      const everything = await wholeDatabase();
      for (const secret of [TEST_CLIENT.client_secret, first.accessToken, first.refreshToken, refreshed.accessToken, refreshed.refreshToken, verifier]) {
        expect(everything).not.toContain(secret);
      }
      expect(everything).toContain('enc:v2:');
    } finally {
      await server.close();
    }
  });

  it('refuses to start with another key, or with none, naming the problem', async () => {
    await expect(start({ NANGO_ENCRYPTION_KEY: b64(randomBytes(32)) })).rejects.toThrow(
      /NANGO_ENCRYPTION_KEY is not the key this database was encrypted with \(stored fingerprint [0-9a-f]{12}…/,
    );
    await expect(start({})).rejects.toThrow(/The database holds encrypted secrets .* set NANGO_ENCRYPTION_KEY/);
  });

  it('rotates the key with npm run db:rotate-key, with servers holding both keys reading throughout', async () => {
    const during = await start({ NANGO_ENCRYPTION_KEY: b64(NEW_KEY), NANGO_ENCRYPTION_KEY_PREVIOUS: b64(KEY) });
    try {
      expect((await graphql(during, READ)).data.connection.credentials.accessToken).toEqual(expect.any(String));
      const rotated = spawnSync(process.execPath, ['--import', 'tsx', 'server/rotate-key.ts'], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, NANGO_ENCRYPTION_KEY: b64(NEW_KEY), NANGO_ENCRYPTION_KEY_PREVIOUS: b64(KEY) },
        encoding: 'utf8',
      });
      expect(rotated.stderr).toBe('');
      expect(rotated.stdout).toMatch(/^✅ \d+ secrets re-encrypted under the new key/);
      const after = await graphql(during, READ);
      expect(after.errors).toBeUndefined();
      const { rows } = await db.query('SELECT credentials FROM connections');
      expect(JSON.parse(new SecretBox(NEW_KEY).open(rows[0].credentials, SEALED.credentials, 'idp', 'user-1')).accessToken).toBe(
        after.data.connection.credentials.accessToken,
      );
    } finally {
      await during.close();
    }
    const newOnly = await start({ NANGO_ENCRYPTION_KEY: b64(NEW_KEY) });
    try {
      expect((await graphql(newOnly, READ)).data.connection.credentials.accessToken).toEqual(expect.any(String));
    } finally {
      await newOnly.close();
    }
    await expect(start({ NANGO_ENCRYPTION_KEY: b64(KEY) })).rejects.toThrow(/not the key this database was encrypted with/);
    const { rows } = await db.query('SELECT credentials FROM connections');
    expect(() => new SecretBox(KEY).open(rows[0].credentials, SEALED.credentials, 'idp', 'user-1')).toThrow(/does not have/);
  }, 60_000);
});

describe('setting a key for the first time', () => {
  let plain: TestDatabase;
  afterAll(async () => {
    await plain?.drop();
  });

  it('encrypts the existing plaintext secrets at start-up, and everything still reads', async () => {
    plain = await createTestDatabase();
    const settings = (env: Record<string, string>) => loadSettings({ PORT: '0', DATABASE_URL: plain.url, LOG_LEVEL: 'silent', ...env });
    const before = await startServer(settings({}), createLogger('silent'));
    await graphql(before, 'mutation { createProviderConfig(input: { key: "gh", provider: "github", clientId: "id", clientSecret: "plain-secret-value", scopes: [] }) { key } }');
    await before.close();
    const client = new pg.Client({ connectionString: plain.url });
    await client.connect();
    try {
      expect((await client.query('SELECT client_secret FROM provider_configs')).rows[0].client_secret).toBe('plain-secret-value');
      const after = await startServer(settings({ NANGO_ENCRYPTION_KEY: b64(KEY) }), createLogger('silent'));
      try {
        const stored = (await client.query('SELECT client_secret FROM provider_configs')).rows[0].client_secret;
        expect(stored.startsWith('enc:v2:')).toBe(true);
        expect(new SecretBox(KEY).open(stored, SEALED.clientSecret, 'gh')).toBe('plain-secret-value');
        expect((await graphql(after, '{ providerConfig(key: "gh") { key } }')).data.providerConfig.key).toBe('gh');
      } finally {
        await after.close();
      }
    } finally {
      await client.end();
    }
  });
});

describe('rotating a database still in the column-only format', () => {
  let old: TestDatabase;
  afterAll(async () => {
    await old?.drop();
  });

  it('re-seals every value for its row under the new key, and records the format', async () => {
    old = await createTestDatabase();
    const client = new pg.Client({ connectionString: old.url });
    await client.connect();
    const pool = await createDatabasePool(old.url);
    try {
      // As the previous release left it: sealed for the column only, under KEY.
      await client.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ('gh', 'github', 'id', $1)`, [
        sealColumnOnly('the-client-secret', 'provider_configs.client_secret', KEY),
      ]);
      await client.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('gh', 'u1', $1)`, [
        sealColumnOnly('{"the":"credentials"}', 'connections.credentials', KEY),
      ]);
      await client.query('INSERT INTO encryption_state (key_fingerprint) VALUES ($1)', [keyFingerprint(KEY)]);

      const { reencryptedValues, refused } = await rotateEncryptionKey(pool, new SecretBox(NEW_KEY, KEY));
      expect({ reencryptedValues, refused }).toEqual({ reencryptedValues: 2, refused: [] });
      const box = new SecretBox(NEW_KEY);
      const secret = (await client.query('SELECT client_secret FROM provider_configs')).rows[0].client_secret;
      const credentials = (await client.query('SELECT credentials FROM connections')).rows[0].credentials;
      expect(box.open(secret, SEALED.clientSecret, 'gh')).toBe('the-client-secret');
      expect(box.open(credentials, SEALED.credentials, 'gh', 'u1')).toBe('{"the":"credentials"}');
      expect((await client.query('SELECT format_version FROM encryption_state')).rows[0].format_version).toBe(2);
    } finally {
      await pool.end();
      await client.end();
    }
  });
});
