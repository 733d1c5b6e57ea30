// The refresh statements of the connection store, sent together as a storm
// sends them: each caller gets its own row's answer from the shared statement,
// compare-and-set holds per row, and a row the database refuses fails alone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { ConnectionStore } from '../server/db/connection-store.js';
import { createDatabasePool } from '../server/db/pool.js';
import { ReadConnections } from '../server/db/read-connections.js';
import { SecretBox } from '../server/db/secret-box.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;
let admin: pg.Client;
let pool: DatabasePool;
let reads: ReadConnections;
let store: ConnectionStore;
/** Statements the store sent, by their first words. */
const statements: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  pool = await createDatabasePool(database.url);
  reads = new ReadConnections(database.url, () => undefined);
  // The pool as the store sees it, each statement's first words noted.
  const counted = new Proxy(pool, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: Array<{ sql?: string }>) => {
        if (typeof args[0]?.sql === 'string') statements.push(args[0].sql.trim().split(/\s+/).slice(0, 3).join(' '));
        return (value as (...each: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  store = new ConnectionStore(counted, SecretBox.plaintext(), reads);
  await admin.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('p', 'custom', 'id', 'secret', 'https://a.example/authorize', 'https://a.example/token')`);
  await admin.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) SELECT 'p', 'c' || n, '{}' FROM generate_series(1, 40) AS n`);
});
afterAll(async () => {
  await reads?.end();
  await pool?.end();
  await admin?.end();
  await database?.drop();
});

async function rows(): Promise<Array<{ id: string; connectionId: string; version: string }>> {
  const { rows } = await admin.query(`SELECT id::text, connection_id AS "connectionId", credentials_version::text AS version FROM connections ORDER BY connections.id`);
  return rows;
}

describe('claims sent together', () => {
  it('claim each row once, readers of one row sharing its claim, and skip a row another holds', async () => {
    const all = (await rows()).slice(0, 10);
    await admin.query(`UPDATE connections SET refresh_claim = gen_random_uuid(), refresh_claimed_until = now() + interval '1 minute' WHERE id = $1`, [all[0]!.id]);
    statements.length = 0;
    const claims = await Promise.all(all.flatMap((row) => [store.claimRefresh(row.id, 30), store.claimRefresh(row.id, 30)]));
    expect(statements.filter((text) => text.startsWith('WITH target AS'))).toHaveLength(1);
    expect(claims[0]).toBeNull();
    expect(claims[1]).toBeNull();
    for (let index = 2; index < claims.length; index += 2) {
      expect(claims[index]!.connection.id).toBe(all[index / 2]!.id);
      expect(claims[index + 1]!.claim).toBe(claims[index]!.claim);
    }
    expect(new Set(claims.slice(2).map((claim) => claim!.claim)).size).toBe(9);
    await admin.query(`UPDATE connections SET refresh_claim = NULL, refresh_claimed_until = NULL`);
  });
});

describe('refreshed answers written together', () => {
  const values = (token: string) => ({ credentials: JSON.stringify({ token }), expiresAt: new Date(Date.now() + 3_600_000), refreshDueAt: new Date(Date.now() + 1_800_000) });

  it('write each over the version it claimed in one statement, and leave a row whose version moved', async () => {
    const all = (await rows()).slice(10, 30);
    // One row re-authorized meanwhile: its claimed version is stale.
    await admin.query(`UPDATE connections SET credentials_version = credentials_version + 1 WHERE id = $1`, [all[3]!.id]);
    statements.length = 0;
    const written = await Promise.all(all.map((row) => store.writeRefreshed({ id: row.id, providerConfigKey: 'p', connectionId: row.connectionId }, row.version, values(`t-${row.connectionId}`))));
    expect(statements.filter((text) => text.startsWith('WITH written AS'))).toHaveLength(1);
    written.forEach((row, index) => {
      if (index === 3) return expect(row).toBeNull();
      expect(row).toMatchObject({ id: all[index]!.id, connectionId: all[index]!.connectionId, credentialsVersion: String(Number(all[index]!.version) + 1) });
      expect(JSON.parse(row!.credentials)).toEqual({ token: `t-${all[index]!.connectionId}` });
    });
    const { rows: stored } = await admin.query(`SELECT connection_id, credentials FROM connections WHERE id = ANY($1::bigint[]) ORDER BY id`, [all.map((row) => row.id)]);
    expect(stored.filter((row) => row.credentials !== '{}')).toHaveLength(19);
  });

  it('write one of two answers for the same row claimed at one version (the second finds it moved)', async () => {
    const [row] = (await rows()).slice(30, 31);
    const identity = { id: row!.id, providerConfigKey: 'p', connectionId: row!.connectionId };
    const [first, second] = await Promise.all([store.writeRefreshed(identity, row!.version, values('first')), store.writeRefreshed(identity, row!.version, values('second'))]);
    expect(JSON.parse(first!.credentials)).toEqual({ token: 'first' });
    expect(second).toBeNull();
  });

  it('fail alone an answer the database refuses, its neighbours written', async () => {
    const all = (await rows()).slice(32, 36);
    const results = await Promise.allSettled(
      all.map((row, index) =>
        // A NUL character: Postgres refuses it in text, whatever the rest of the statement.
        store.writeRefreshed({ id: row.id, providerConfigKey: 'p', connectionId: row.connectionId }, row.version, index === 1 ? { ...values('bad'), credentials: 'bad\u0000' } : values(`good-${index}`)),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const { rows: stored } = await admin.query(`SELECT credentials FROM connections WHERE id = ANY($1::bigint[]) ORDER BY id`, [all.map((row) => row.id)]);
    expect(stored.map((row) => row.credentials)).toEqual([JSON.stringify({ token: 'good-0' }), '{}', JSON.stringify({ token: 'good-2' }), JSON.stringify({ token: 'good-3' })]);
  });
});

describe('waiters looking together', () => {
  it('get each row its state from one statement, and null for a row that is gone', async () => {
    const all = (await rows()).slice(36, 40);
    await admin.query(`UPDATE connections SET refresh_claim = gen_random_uuid(), refresh_claimed_until = now() + interval '1 minute' WHERE id = $1`, [all[0]!.id]);
    statements.length = 0;
    const states = await Promise.all([...all.map((row) => store.refreshState(row.id)), store.refreshState('999999')]);
    expect(statements.filter((text) => text.startsWith('SELECT id::text'))).toHaveLength(1);
    expect(states).toEqual([
      { credentialsVersion: all[0]!.version, claimLive: true },
      ...all.slice(1).map((row) => ({ credentialsVersion: row.version, claimLive: false })),
      null,
    ]);
  });
});
