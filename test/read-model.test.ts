// Every read of a whole connection checks its row against the one column
// declaration (server/db/connection-store.ts): a column that drifts (a
// migration gone wrong, a hand edit) fails the read by the column's name,
// never passes a wrong value on, and never shows the row.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { seedGithubConnections } from './support/database.js';
import { startInProcessServer, type InProcessServer } from './support/in-process.js';

const lines: string[] = [];
let server: InProcessServer;
let db: pg.Client;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  server = await startInProcessServer({ logger: createLogger('error', sink) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  await seedGithubConnections(db, ['u1'], 'drift-token');
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

describe('a connections row that no longer matches its columns', () => {
  it('fails the token read, the list and GraphQL by the column name, without the row', async () => {
    await db.query('ALTER TABLE connections ALTER COLUMN metadata TYPE text USING metadata::text');
    try {
      const read = await server.fetch(`/connection/u1?provider_config_key=github`);
      expect(read.status).toBe(500);
      expect(((await read.json()) as { error: { code: string } }).error.code).toBe('internal_error');
      const page = await server.graphql('{ connections { nodes { connectionId metadata } } }');
      expect(page.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const logged = lines.join('');
      expect(logged).toContain('a connections row did not match its model (columns: metadata)');
      expect(logged).not.toContain('drift-token');
    } finally {
      await db.query('ALTER TABLE connections ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb');
    }
  });
});
