// The slonik pool every store shares. Every row that a typed query returns is
// parsed by its zod model here, before it leaves server/db.
import { createPool, sql, type CommonQueryMethods, type DatabasePool, type Interceptor } from 'slonik';
import { DATABASE_TIMEOUT_MS, DatabaseTimeoutError } from './failures.js';

export type { DatabasePool };

export interface PoolOptions {
  maximumPoolSize?: number;
  /**
   * How long a caller waits for a pooled connection or for a query's answer
   * (DATABASE_TIMEOUT_MS); null: as long as it takes (the key rotation).
   */
  answerWithinMs?: number | null;
}

/**
 * Queries inside a transaction may wait for a row lock that another instance
 * holds across a provider call (the refresh), so they get longer than the rest.
 */
const TRANSACTION_QUERY_WITHIN_MS = 30_000;

export class RowShapeError extends Error {
  override name = 'RowShapeError';
}

// Slonik's own SchemaValidationError carries the whole row, which may hold
// secrets; ours names only the columns that did not match.
const parseRows: Interceptor = {
  name: 'parse-rows',
  transformRow: (context, _query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser.safeParse(row);
    if (!result.success) {
      const columns = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new RowShapeError(`a row did not match its model (columns: ${columns})`);
    }
    return result.data;
  },
};

export async function createDatabasePool(databaseUrl: string, options: PoolOptions = {}): Promise<DatabasePool> {
  const answerWithinMs = options.answerWithinMs === undefined ? DATABASE_TIMEOUT_MS : options.answerWithinMs;
  const pool = await createPool(databaseUrl, {
    maximumPoolSize: options.maximumPoolSize ?? 10,
    connectionTimeout: answerWithinMs ?? 'DISABLE_TIMEOUT',
    statementTimeout: 30_000,
    captureStackTrace: false,
    // Slonik's default runs DISCARD ALL after every query: one more round trip per read.
    // Nothing here leaves session state behind (no SET, no temporary tables, transactions
    // always end), so the reset is skipped.
    resetConnection: async () => undefined,
    idleTimeout: 60_000,
    interceptors: [parseRows],
  });
  return answerWithinMs === null ? pool : withDeadlines(pool, answerWithinMs);
}

const QUERY_METHODS = new Set(['any', 'anyFirst', 'exists', 'many', 'manyFirst', 'maybeOne', 'maybeOneFirst', 'one', 'oneFirst', 'query']);

/**
 * A frozen or unreachable database must cost a request seconds, not as long as
 * it lasts: slonik bounds the opening of a connection, but not the wait in its
 * queue for a pooled one, nor a query whose answer never comes (a statement
 * timeout is the server's, and a frozen server enforces nothing). Each query,
 * and each wait for a connection, races a timer here; the loser is left to
 * finish on its own, and the connection goes back to the pool when it does.
 */
function withDeadlines(pool: DatabasePool, withinMs: number): DatabasePool {
  const queries = <T extends object>(target: T, ms: number): T =>
    new Proxy(target, {
      get(object, name, receiver) {
        const value = Reflect.get(object, name, receiver);
        if (typeof name !== 'string' || !QUERY_METHODS.has(name) || typeof value !== 'function') return value;
        return (...args: unknown[]) => deadline(value.apply(object, args) as Promise<unknown>, ms, 'a query');
      },
    });
  const bounded = queries(pool, withinMs);
  return new Proxy(bounded, {
    get(object, name, receiver) {
      if (name !== 'connect') return Reflect.get(object, name, receiver);
      return <T>(work: (connection: CommonQueryMethods) => Promise<T>) => {
        let late = false;
        let acquired!: () => void;
        const waiting = new Promise<void>((resolve) => (acquired = resolve));
        const run = pool.connect(async (connection) => {
          // Too late: the caller has had its answer; the connection goes straight back.
          if (late) throw new DatabaseTimeoutError('a pooled connection came too late');
          acquired();
          return work(queries(connection, TRANSACTION_QUERY_WITHIN_MS));
        });
        // A pool that fails at once (the database refuses connections) says so at once.
        return deadline(Promise.race([waiting, run.then(() => undefined)]), withinMs, 'a pooled connection').then(
          () => run,
          (error: unknown) => {
            late = true;
            run.catch(() => undefined);
            throw error;
          },
        );
      };
    },
  });
}

function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(`the database gave no answer to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Resolves when the database answers a trivial query; for the health check. */
export async function pingDatabase(pool: DatabasePool): Promise<void> {
  await pool.query(sql.unsafe`SELECT 1`);
}

/**
 * Runs `work` between BEGIN and COMMIT on one pooled connection, and rolls back
 * when it throws. Not slonik's pool.transaction(): that runs its work inside an
 * AsyncLocalStorage, and on Node 20 the first AsyncLocalStorage.run() installs
 * promise hooks for the rest of the process, so every promise of every later
 * request pays for them (the token read lost about a tenth of its throughput).
 * Nothing here nests transactions or retries them, which is what slonik's adds.
 */
export function inTransaction<T>(pool: DatabasePool, work: (transaction: CommonQueryMethods) => Promise<T>): Promise<T> {
  return pool.connect(async (connection) => {
    await connection.query(sql.unsafe`BEGIN`);
    let result: T;
    try {
      result = await work(connection);
    } catch (error) {
      // A failed rollback means a broken connection, which the pool discards; the work's error is the one to report.
      await connection.query(sql.unsafe`ROLLBACK`).catch(() => undefined);
      throw error;
    }
    await connection.query(sql.unsafe`COMMIT`);
    return result;
  });
}
