// A page of the list is read from Postgres as one text, a line per connection
// with tab-separated fields (server/db/connection-store.ts): these tests hold it
// to every identifier the service accepts, and the database to refusing the
// ones it does not.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startInProcessServer, type InProcessServer } from './support/in-process.js';

// Everything a key or connection id may hold: no control characters, up to 255 characters.
const KEYS = ['plain', 'quote"back\\slash', 'ünï cödé'];
const IDS = [
  'u1',
  'with space',
  '"quoted"',
  'back\\slash\\',
  'json {"a":[1]}',
  'emoji 🔑🚀',
  'rtl \u202e mark',
  'nbsp\u00a0and\u0085next-line',
  '%20 and + and ?',
  'x'.repeat(255),
];

let server: InProcessServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startInProcessServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

async function restPage(query: string): Promise<{ connections: Array<{ id: string; connection_id: string; provider: string; created: string }>; next_cursor: string | null }> {
  const response = await server.fetch(`/connection?${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

describe('the list', () => {
  it('answers an empty page when there are no connections', async () => {
    expect(await restPage('')).toEqual({ connections: [], next_cursor: null });
    const graphql = await server.graphql('{ connections { nodes { connectionId } pageInfo { endCursor hasNextPage } } }');
    expect(graphql.data).toEqual({ connections: { nodes: [], pageInfo: { endCursor: null, hasNextPage: false } } });
  });

  it('gives back every identifier exactly as stored, over REST and GraphQL, filtered or not', async () => {
    const stored: Array<[string, string]> = [];
    for (const key of KEYS) {
      await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ($1, 'github', 'id', 's')`, [key]);
      for (const id of IDS) {
        await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ($1, $2, '{}')`, [key, id]);
        stored.unshift([key, id]);
      }
    }
    const rest = await restPage('first=100');
    expect(rest.connections.map((entry) => [entry.provider, entry.connection_id])).toEqual(stored);
    expect(rest.next_cursor).toBeNull();
    const graphql = await server.graphql('{ connections(first: 100) { nodes { providerConfigKey connectionId } } }');
    expect(graphql.data.connections.nodes.map((node: { providerConfigKey: string; connectionId: string }) => [node.providerConfigKey, node.connectionId])).toEqual(stored);

    for (const key of KEYS) {
      const filtered = await restPage(`provider_config_key=${encodeURIComponent(key)}&first=100`);
      expect(filtered.connections.map((entry) => [entry.provider, entry.connection_id])).toEqual(stored.filter(([storedKey]) => storedKey === key));
    }
    // And page by page, three at a time, the same entries.
    const paged: Array<[string, string]> = [];
    let query = 'first=3';
    for (let page = 0; page < 20; page++) {
      const body = await restPage(query);
      paged.push(...body.connections.map((entry): [string, string] => [entry.provider, entry.connection_id]));
      if (!body.next_cursor) break;
      query = `first=3&after=${body.next_cursor}`;
    }
    expect(paged).toEqual(stored);
  });

  it('dates each entry as the whole connection does, to the millisecond, whatever the stored precision', async () => {
    await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ('dates', 'github', 'id', 's')`);
    const instants = ['2026-11-22 13:01:58+00', '2026-11-22 13:01:58.1+00', '2026-11-22 13:01:58.123456+00', '2026-11-22 13:01:58.999999+00', '1999-12-31 23:59:59.5-05', '2026-06-01 12:00:00.000001+14'];
    for (const [n, instant] of instants.entries()) {
      await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, created_at) VALUES ('dates', $1, '{}', $2)`, [`d${n}`, instant]);
    }
    const rest = await restPage('provider_config_key=dates');
    const whole = await server.graphql('{ connections(providerConfigKey: "dates") { nodes { connectionId createdAt updatedAt } } }');
    const expected = instants.map((instant, n) => [`d${n}`, new Date(instant.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString()]).reverse();
    expect(rest.connections.map((entry) => [entry.connection_id, entry.created])).toEqual(expected);
    expect(whole.data.connections.nodes.map((node: { connectionId: string; createdAt: string }) => [node.connectionId, node.createdAt])).toEqual(expected);
  });

  it('is guarded by the database too: no key or connection id with a control character can be stored', async () => {
    for (const bad of ['tab\there', 'line\nfeed', 'bell\u0007', 'del\u007f']) {
      await expect(db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ($1, 'github', 'id', 's')`, [bad])).rejects.toMatchObject({ code: '23514' });
      await expect(db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('plain', $1, '{}')`, [bad])).rejects.toMatchObject({ code: '23514' });
      await expect(db.query(`UPDATE connections SET connection_id = $1 WHERE connection_id = 'u1' AND provider_config_key = 'plain'`, [bad])).rejects.toMatchObject({ code: '23514' });
    }
  });
});
