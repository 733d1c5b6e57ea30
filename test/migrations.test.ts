import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { migrate } from '../server/db/migrate.js';
import { createLogger } from '../server/log.js';
import { createEmptyDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createEmptyDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('migrations', () => {
  it('applies each migration once when several instances start together', async () => {
    const logger = createLogger('silent');
    await Promise.all([migrate(database.url, logger), migrate(database.url, logger), migrate(database.url, logger)]);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY id');
      const files = (await readdir(new URL('../server/db/migrations/', import.meta.url))).map((file) => file.replace(/\.sql$/, '')).sort();
      expect(files.length).toBeGreaterThanOrEqual(2);
      expect(applied.rows.map((row) => row.name)).toEqual(files);
      const tables = await client.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'provider_configs'");
      expect(tables.rowCount).toBe(1);
    } finally {
      await client.end();
    }
    // And again later: nothing left to do, nothing fails.
    await expect(migrate(database.url, logger)).resolves.toBeUndefined();
  });
});
