// A fresh, migrated database per test file, on the run's one Postgres.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../server/db/migrate.js';
import { createLogger } from '../../server/log.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export function adminDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (global setup starts Postgres)');
  return url;
}

export async function createEmptyDatabase(): Promise<TestDatabase> {
  const admin = adminDatabaseUrl();
  const name = `test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient(admin, async (client) => {
        // Clients that are closing get a moment to finish: FORCE would hit them with a
        // FATAL error, which a client without an error listener raises as an unhandled error.
        for (let attempt = 0; attempt < 40; attempt++) {
          const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  await migrate(database.url, createLogger('silent'));
  return database;
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A 'github' provider config with one connection per id, each holding a
 * non-expiring OAuth 2 token `accessToken` (stored in plaintext: the server runs without a key).
 */
export async function seedGithubConnections(client: pg.Client, ids: string[], accessToken: string): Promise<void> {
  await client.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ('github', 'github', 'id', 's')`);
  const credentials = JSON.stringify({
    type: 'OAUTH2', accessToken, refreshToken: null, tokenType: 'bearer', scopes: [],
    expiresAt: null, obtainedAt: '2026-11-22T12:00:00.000Z', raw: { access_token: accessToken },
  });
  for (const id of ids) {
    await client.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('github', $1, $2)`, [id, credentials]);
  }
}
