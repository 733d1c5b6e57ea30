import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDatabasePool, inTransaction, type DatabasePool } from '../server/db/pool.js';
import { createEmptyDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;
let pool: DatabasePool;

beforeAll(async () => {
  database = await createEmptyDatabase();
  pool = await createDatabasePool(database.url, { maximumPoolSize: 2 });
  await pool.query(sql.unsafe`CREATE TABLE notes (body text NOT NULL)`);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const bodies = () => pool.anyFirst(sql.type(z.object({ body: z.string() }))`SELECT body FROM notes ORDER BY body`);

describe('inTransaction', () => {
  it('commits what the work wrote', async () => {
    await expect(inTransaction(pool, async (transaction) => {
      await transaction.query(sql.unsafe`INSERT INTO notes VALUES ('kept')`);
      return 'done';
    })).resolves.toBe('done');
    expect(await bodies()).toEqual(['kept']);
  });

  it('rolls back and rethrows when the work throws, and the connection is clean for the next user', async () => {
    const failure = new Error('work failed');
    await expect(inTransaction(pool, async (transaction) => {
      await transaction.query(sql.unsafe`INSERT INTO notes VALUES ('lost')`);
      throw failure;
    })).rejects.toBe(failure);
    expect(await bodies()).toEqual(['kept']);
    // Every pooled connection is out of its transaction: a write outside one is committed at once.
    await Promise.all([1, 2].map((n) => pool.query(sql.unsafe`INSERT INTO notes VALUES (${`after-${n}`})`)));
    expect(await bodies()).toEqual(['after-1', 'after-2', 'kept']);
  });

  it('rolls back when a statement fails inside the work', async () => {
    await expect(inTransaction(pool, async (transaction) => {
      await transaction.query(sql.unsafe`INSERT INTO notes VALUES ('lost too')`);
      await transaction.query(sql.unsafe`INSERT INTO notes VALUES (NULL)`);
    })).rejects.toThrow();
    expect(await bodies()).not.toContain('lost too');
  });

  it('does not switch on AsyncLocalStorage, whose promise hooks would slow every later request on Node 20', async () => {
    // slonik's pool.transaction() runs its work in an AsyncLocalStorage; ours must not.
    const run = AsyncLocalStorage.prototype.run;
    let runs = 0;
    AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof run>) {
      runs += 1;
      return run.apply(this, args);
    } as typeof run;
    try {
      await inTransaction(pool, async (transaction) => transaction.query(sql.unsafe`SELECT 1`));
    } finally {
      AsyncLocalStorage.prototype.run = run;
    }
    expect(runs).toBe(0);
  });
});
