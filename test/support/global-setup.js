// One Postgres for the whole test run: TEST_DATABASE_URL when given, else an
// embedded cluster in a temporary folder. Each test file makes its own database.
// And dist/ up to date: tests that run the server or the CLI as a process run the
// compiled JavaScript, as `npm start` and `nango` do.
// Plain JS: Jest loads global setup outside its module system, so the server's
// TypeScript is imported through tsx.
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  await import('../../build.js');
  if (process.env.TEST_DATABASE_URL) return;
  const { startEmbeddedPostgres } = await tsImport('../../server/db/embedded.ts', import.meta.url);
  const { createLogger } = await tsImport('../../server/log.ts', import.meta.url);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-test-pg-'));
  // mkdtemp makes it 0700; as root, Postgres runs as 'postgres' and must reach it.
  await chmod(dataDir, 0o755);
  const database = await startEmbeddedPostgres({
    dataDir,
    database: 'postgres',
    persistent: false,
    logger: createLogger('silent'),
  });
  globalThis.__embeddedTestDatabase = database;
  process.env.TEST_DATABASE_URL = database.url;
}
