// The slonik pool every store shares. Every row that a typed query returns is
// parsed by its zod model here, before it leaves server/db.
import { createPool, sql, type DatabasePool, type Interceptor } from 'slonik';

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
