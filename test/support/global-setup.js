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
import { prepareChromium } from './chromium.js';

export default async function globalSetup() {
  await import('../../build.js');
  await prepareChromium();
  if (process.env.TEST_DATABASE_URL) return;
  const { startEmbeddedPostgres } = await tsImport('../../server/db/embedded.ts', import.meta.url);
  const { createLogger } = await tsImport('../../server/log.ts', import.meta.url);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-test-pg-'));
  globalThis.__embeddedTestDataDir = dataDir;
  // Our own throwaway folder (its password file stays 0600): open it rather than
  // have every run grant the 'postgres' user access to a new folder.
  await chmod(dataDir, 0o755);
  try {
    globalThis.__embeddedTestDatabase = await startEmbeddedPostgres({
      dataDir,
      database: 'postgres',
      persistent: false,
      logger: createLogger('info', grantsOnly),
    });
  } catch (error) {
    // Jest prints a global setup's failure with its stack; the message is what helps.
    const clear = new Error(`the test run's Postgres did not start: ${error.message} (or set TEST_DATABASE_URL to use another Postgres)`);
    clear.name = error.name;
    clear.stack = `${clear.name}: ${clear.message}`;
    throw clear;
  }
  process.env.TEST_DATABASE_URL = globalThis.__embeddedTestDatabase.url;
}

/** Of the embedded database's log, only the access given to the 'postgres' user (as root) is news to someone running the tests. */
const grantsOnly = {
  write(line) {
    const entry = JSON.parse(line);
    if (entry.access || entry.uid) process.stderr.write(`test database: ${entry.msg}\n`);
  },
};
