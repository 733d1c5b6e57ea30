// Versioned SQL migrations (server/db/migrations/*.sql), applied at start-up by
// node-pg-migrate under a Postgres advisory lock: instances that start together
// wait for each other instead of racing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrate(databaseUrl: string, logger: Logger): Promise<void> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    advisoryLockMode: 'wait',
    singleTransaction: true,
    checkOrder: true,
    logger: {
      debug: (message: string) => logger.debug({ component: 'migrations' }, message),
      info: (message: string) => logger.debug({ component: 'migrations' }, message),
      warn: (message: string) => logger.warn({ component: 'migrations' }, message),
      error: (message: string) => logger.error({ component: 'migrations' }, message),
    },
  });
  if (applied.length > 0) {
    logger.info({ migrations: applied.map((migration) => migration.name) }, 'database migrations applied');
  }
}
