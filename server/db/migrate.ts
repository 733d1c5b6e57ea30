// Versioned SQL migrations (server/db/migrations/*.sql), applied at start-up by
// node-pg-migrate under a Postgres advisory lock: instances that start together
// wait for each other instead of racing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { errorSummary, type Logger } from '../log.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrate(databaseUrl: string, logger: Logger): Promise<void> {
  // Our own client, ended and awaited here: the runner's own leaves its end() un-awaited.
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', (error) => logger.warn({ err: errorSummary(error) }, 'migration connection error'));
  await client.connect();
  let applied;
  try {
    applied = await runMigrations(client, logger);
  } finally {
    await client.end();
  }
  if (applied.length > 0) {
    logger.info({ migrations: applied.map((migration) => migration.name) }, 'database migrations applied');
  }
}

function runMigrations(client: pg.Client, logger: Logger) {
  return runner({
    dbClient: client,
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
}
