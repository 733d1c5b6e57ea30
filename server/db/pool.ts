// The slonik pool every store shares. Every row that a typed query returns is
// parsed by its zod model here, before it leaves server/db.
import { createPool, sql, type CommonQueryMethods, type DatabasePool, type Interceptor } from 'slonik';

export type { DatabasePool };

export interface PoolOptions {
  maximumPoolSize?: number;
}

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

export function createDatabasePool(databaseUrl: string, options: PoolOptions = {}): Promise<DatabasePool> {
  return createPool(databaseUrl, {
    maximumPoolSize: options.maximumPoolSize ?? 10,
    connectionTimeout: 10_000,
    statementTimeout: 30_000,
    captureStackTrace: false,
    // Slonik's default runs DISCARD ALL after every query: one more round trip per read.
    // Nothing here leaves session state behind (no SET, no temporary tables, transactions
    // always end), so the reset is skipped.
    resetConnection: async () => undefined,
    idleTimeout: 60_000,
    interceptors: [parseRows],
  });
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
