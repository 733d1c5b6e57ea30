import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { ReadConnections, ReadConnectionsClosedError } from '../server/db/read-connections.js';
import { createEmptyDatabase, type TestDatabase } from './support/database.js';

let database: TestDatabase;
let admin: pg.Client;
let reads: ReadConnections;
let failures: Error[];

beforeAll(async () => {
  database = await createEmptyDatabase();
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  // nextval() is not rolled back by a failed statement: it counts how often a statement ran.
  await admin.query('CREATE SEQUENCE runs');
});
afterAll(async () => {
  await admin?.end();
  await database?.drop();
});
beforeEach(async () => {
  await admin.query('ALTER SEQUENCE runs RESTART');
  failures = [];
  reads = new ReadConnections(database.url, (error) => failures.push(error));
});
afterEach(async () => {
  await reads.end();
});

/** Ends every session of the read connections, as a Postgres restart or a failover does. */
async function endReadSessions(): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nango-reads'",
  );
  return rows.length;
}

async function timesRun(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>("SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM runs");
  return Number(rows[0]?.n);
}

describe('ReadConnections', () => {
  it('answers many concurrent reads, each with its own result, on two connections', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, n) => reads.query<{ n: number }>({ name: 'echo', text: 'SELECT $1::int AS n', values: [n] })),
    );
    expect(answers.map((answer) => answer.rows[0]?.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nango-reads'");
    expect(rows[0].n).toBe(2);
    expect(reads.state()).toEqual({ open: 2, connecting: 0 });
  });

  it('fails only the statement Postgres refused, once, and not the reads sent around it', async () => {
    const sent = Array.from({ length: 30 }, (_, n) =>
      n === 15
        ? reads.query({ text: 'SELECT 1 / (nextval($1) * 0)', values: ['runs'] })
        : reads.query<{ n: number }>({ name: 'echo', text: 'SELECT $1::int AS n', values: [n] }),
    );
    const settled = await Promise.allSettled(sent);
    settled.forEach((outcome, n) => {
      if (n === 15) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: '22012' } });
      else expect(outcome).toMatchObject({ status: 'fulfilled', value: { rows: [{ n }] } });
    });
    // A statement error is not a lost connection: it is not sent again.
    expect(await timesRun()).toBe(1);
    expect(failures).toEqual([]);
  });

  it('sends a read once more on a new connection when Postgres ends the session under it', async () => {
    await reads.query({ text: 'SELECT 1' });
    await reads.query({ text: 'SELECT 1' });
    // A slow read on each connection, and quick ones queued behind them.
    const slow = [1, 2].map(() => reads.query<{ n: string }>({ text: "SELECT nextval('runs') AS n, pg_sleep(1)" }));
    const quick = Array.from({ length: 20 }, (_, n) => reads.query<{ n: number }>({ name: 'echo', text: 'SELECT $1::int AS n', values: [n] }));
    await waitFor(async () => (await timesRun()) === 2);

    expect(await endReadSessions()).toBe(2);

    const answers = await Promise.all(quick);
    expect(answers.map((answer) => answer.rows[0]?.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    const slowAnswers = await Promise.all(slow);
    // Each slow read ran twice: cut off, then answered on a new connection.
    expect(slowAnswers.map((answer) => Number(answer.rows[0]?.n)).sort()).toEqual([3, 4]);
    expect(await timesRun()).toBe(4);
    expect(reads.state()).toEqual({ open: 2, connecting: 0 });
  });

  it('replaces idle connections that Postgres ended, and says so', async () => {
    await Promise.all([reads.query({ text: 'SELECT 1' }), reads.query({ text: 'SELECT 1' })]);
    expect(await endReadSessions()).toBe(2);
    await waitFor(async () => failures.length === 2);
    expect(failures[0]?.message).toMatch(/terminat/);

    const { rows } = await reads.query<{ n: number }>({ name: 'echo', text: 'SELECT $1::int AS n', values: [7] });
    expect(rows).toEqual([{ n: 7 }]);
  });

  it('does not send a read a third time: a database that stays away fails it', async () => {
    const { url, close } = await unreachablePostgres();
    const lonely = new ReadConnections(url, () => undefined);
    try {
      // The port accepts and hangs up at once, as a Postgres that is starting up or going down does.
      await expect(lonely.query({ text: 'SELECT 1' })).rejects.toThrow(/terminated|ECONNRESET/);
      expect(accepted()).toBe(2);
      await expect(lonely.query({ text: 'SELECT 1' })).rejects.toThrow(/terminated|ECONNRESET/);
      expect(accepted()).toBe(4);
      expect(lonely.state()).toEqual({ open: 0, connecting: 0 });
    } finally {
      await lonely.end();
      await close();
    }
  });

  it('finishes the reads under way when ended, then refuses new ones', async () => {
    const underWay = reads.query<{ n: number }>({ text: 'SELECT 5 AS n, pg_sleep(0.3)' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ended = reads.end();
    await expect(underWay).resolves.toMatchObject({ rows: [{ n: 5 }] });
    await ended;
    await expect(reads.query({ text: 'SELECT 1' })).rejects.toBeInstanceOf(ReadConnectionsClosedError);
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nango-reads'");
    expect(rows[0].n).toBe(0);
  });
});

let acceptedConnections = 0;
const accepted = () => acceptedConnections;

/** A local port that accepts a connection and closes it straight away. */
async function unreachablePostgres(): Promise<{ url: string; close(): Promise<void> }> {
  acceptedConnections = 0;
  const server: Server = createServer((socket) => {
    acceptedConnections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://nobody@127.0.0.1:${port}/nothing`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
