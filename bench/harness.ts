// What the benchmarks share: a throwaway embedded Postgres, the server and the
// floor as separate processes, seeding by SQL, autocannon runs, and the results file.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../server/db/embedded.js';
import { migrate } from '../server/db/migrate.js';
import { SEALED, SecretBox } from '../server/db/secret-box.js';
import { createLogger } from '../server/log.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Measured as it runs in production: with the secret key and encryption at rest.
export const SECRET_KEY = 'sk-bench-0123456789abcdef';
const ENCRYPTION_KEY = Buffer.alloc(32, 7);
export const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

export interface BenchDatabase {
  url: string;
  client: pg.Client;
}

export interface Bench {
  database: EmbeddedDatabase;
  client: pg.Client;
  /** Another database in the same Postgres, migrated and ready like the first. */
  addDatabase(name: string): Promise<BenchDatabase>;
  close(): Promise<void>;
}

export async function startBenchDatabase(): Promise<Bench> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-bench-'));
  await chmod(dataDir, 0o755);
  const database = await startEmbeddedPostgres({ dataDir, database: 'bench', persistent: false, logger: createLogger('silent') });
  const { client } = await prepareDatabase(database.url);
  const others: pg.Client[] = [];
  return {
    database,
    client,
    addDatabase: async (name) => {
      await client.query(`CREATE DATABASE ${name}`);
      const url = new URL(database.url);
      url.pathname = `/${name}`;
      const added = await prepareDatabase(url.toString());
      others.push(added.client);
      return added;
    },
    close: async () => {
      await Promise.all([client, ...others].map((each) => each.end()));
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function prepareDatabase(url: string): Promise<BenchDatabase> {
  await migrate(url, createLogger('silent'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Values are sealed here already (for their rows), and the key's fingerprint and format recorded, so the server does not re-encrypt at start.
  await client.query('INSERT INTO encryption_state (key_fingerprint, format_version) VALUES ($1, 2)', [new SecretBox(ENCRYPTION_KEY).currentFingerprint()]);
  return { url, client };
}

export async function seedConfig(client: pg.Client, key: string, tokenUrl = 'https://auth.example.com/token'): Promise<void> {
  const secret = new SecretBox(ENCRYPTION_KEY).seal('bench-client-secret', SEALED.clientSecret, key);
  await client.query(
    `INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ($1, 'custom', 'bench-client', $2, 'https://auth.example.com/authorize', $3)`,
    [key, secret, tokenUrl],
  );
}

/** Connections c<from>..c<to> of `key`, all with the same credentials (expiring at `expiresAt`), each sealed for its row. */
export async function seedConnections(client: pg.Client, key: string, from: number, to: number, expiresAt: Date): Promise<void> {
  const credentials = JSON.stringify({
    type: 'OAUTH2',
    accessToken: 'bench-access-token',
    refreshToken: 'bench-refresh-token',
    tokenType: 'bearer',
    scopes: ['read'],
    expiresAt: expiresAt.toISOString(),
    obtainedAt: new Date(expiresAt.getTime() - 3_600_000).toISOString(),
    raw: { access_token: 'bench-access-token', token_type: 'bearer', expires_in: 3600 },
  });
  const box = new SecretBox(ENCRYPTION_KEY);
  for (let start = from; start <= to; start += 20_000) {
    const ids: string[] = [];
    const sealed: string[] = [];
    for (let n = start; n <= Math.min(to, start + 19_999); n++) {
      ids.push(`c${n}`);
      sealed.push(box.seal(credentials, SEALED.credentials, key, `c${n}`));
    }
    await client.query(
      `INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at)
       SELECT $1, id, sealed, $2 FROM unnest($3::text[], $4::text[]) AS seeded(id, sealed)`,
      [key, expiresAt, ids, sealed],
    );
  }
  // Steady state before measuring: vacuumed (autovacuum would otherwise start on a
  // million fresh rows mid-run), analyzed, and the new pages written out by a checkpoint.
  await client.query('VACUUM ANALYZE connections');
  await client.query('CHECKPOINT');
}

/** One connection of its own: credentials (a refresh token each, ...) sealed for its row, and when the scheduler should refresh it (null: never). */
export interface SeededCredentials {
  connectionId: string;
  credentials: object;
  expiresAt: Date;
  refreshDueAt: Date | null;
}

export async function seedCredentials(client: pg.Client, key: string, rows: SeededCredentials[]): Promise<void> {
  const box = new SecretBox(ENCRYPTION_KEY);
  for (let start = 0; start < rows.length; start += 20_000) {
    const batch = rows.slice(start, start + 20_000);
    await client.query(
      `INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at, refresh_due_at)
       SELECT $1, id, sealed, expires, due FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS seeded(id, sealed, expires, due)`,
      [
        key,
        batch.map((row) => row.connectionId),
        batch.map((row) => box.seal(JSON.stringify(row.credentials), SEALED.credentials, key, row.connectionId)),
        batch.map((row) => row.expiresAt),
        batch.map((row) => row.refreshDueAt),
      ],
    );
  }
  await client.query('ANALYZE connections');
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** `root`: another checkout of the project, to run its server instead (bench/compare.ts). */
/** `env`: more settings for the server (bench/refresh.ts: the refresh scheduler's, private provider URLs). */
export async function startServerProcess(databaseUrl: string, extraArgs: string[] = [], root = ROOT, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = await startProcess(
    [...extraArgs, '--import', 'tsx', path.join(root, 'server/main.ts')],
    { DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn', NANGO_SECRET_KEY: SECRET_KEY, NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY.toString('base64'), ...env },
    `http://127.0.0.1:${port}/health`,
  );
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** `mode` 'pipelined': the floor on two pipelined connections instead of a pool (a reference, see bench/floor-server.ts). */
export async function startFloorProcess(databaseUrl: string, key: string, extraArgs: string[] = [], mode: 'pool' | 'pipelined' = 'pool'): Promise<ServerProcess> {
  const port = await freePort();
  const child = await startProcess([...extraArgs, '--import', 'tsx', 'bench/floor-server.ts', databaseUrl, String(port), mode], {}, `http://127.0.0.1:${port}/connection/c1?provider_config_key=${key}`);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** graphql-yoga alone, with a trivial schema: the least a Yoga-served read costs (bench/yoga-ceiling-server.ts). */
export async function startYogaCeilingProcess(): Promise<ServerProcess> {
  const port = await freePort();
  const child = await startProcess(['--import', 'tsx', 'bench/yoga-ceiling-server.ts', String(port)], {}, `http://127.0.0.1:${port}/graphql?query=%7B__typename%7D`);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** Another script of bench/ as a process (`args` after the script), ready when `readyPath` answers 2xx on its port (the first arg). */
export async function startBenchScript(script: string, port: number, args: string[], readyPath: string): Promise<ServerProcess> {
  const child = await startProcess(['--import', 'tsx', path.join('bench', script), String(port), ...args], {}, `http://127.0.0.1:${port}${readyPath}`);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** The reads the benchmarks send, over `connections` stored connections c1..cN of config 'bench'. */
export function readRequests(connections: number) {
  const randomId = () => `c${1 + Math.floor(Math.random() * connections)}`;
  const graphql = (query: string, variables?: object): autocannon.Request => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({ query, variables }),
  });
  const tokenQuery = 'query Token($k: String!, $c: String!) { connection(providerConfigKey: $k, connectionId: $c) { credentials { ... on OAuth2Credentials { accessToken expiresAt } } } }';
  const listQuery = graphql('{ connections(first: 100) { nodes { connectionId providerConfigKey createdAt } pageInfo { endCursor hasNextPage } } }');
  return {
    randomId,
    graphql,
    restRead: (): autocannon.Request => ({ method: 'GET', path: `/connection/${randomId()}?provider_config_key=bench`, headers: AUTH }),
    graphqlRead: (): autocannon.Request => graphql(tokenQuery, { k: 'bench', c: randomId() }),
    restList: (): autocannon.Request => ({ method: 'GET', path: '/connection?first=100', headers: AUTH }),
    graphqlList: (): autocannon.Request => listQuery,
  };
}

export interface RunResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time (user + system) the target process spent per request: steadier than req/s on a shared machine. */
  cpuMicrosPerRequest: number;
  /** CPU time all Postgres processes spent per request (the bench's Postgres is the only one on the machine). */
  postgresCpuMicrosPerRequest: number;
}

/** One autocannon run, kept raw so that runs can be merged. */
interface Measurement {
  seconds: number;
  /** Every response's latency, in ms. */
  latencies: number[];
  errors: number;
  cpuMicros: number;
  postgresCpuMicros: number;
}

function measure(target: ServerProcess, request: () => autocannon.Request, seconds: number, connections: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const cpuBefore = processCpuMicros(target.child.pid!);
    const postgresBefore = postgresCpuMicros();
    const latencies: number[] = [];
    const instance = autocannon({ url: target.url, connections, duration: seconds, requests: [{ setupRequest: (req) => ({ ...req, ...request() }) }] }, (error, result) => {
      if (error) return reject(error);
      resolve({ seconds: result.duration, latencies, errors: result.errors + result.non2xx,
        cpuMicros: processCpuMicros(target.child.pid!) - cpuBefore,
        postgresCpuMicros: postgresCpuMicros() - postgresBefore,
      });
    });
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  });
}

function summarize(parts: Measurement[]): RunResult {
  const latencies = parts.flatMap((part) => part.latencies).sort((a, b) => a - b);
  // To a hundredth of a millisecond: a proxy's added latency is under one.
  const at = (quantile: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? 0) * 100) / 100;
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  return {
    requestsPerSecond: Math.round(latencies.length / seconds),
    p50: at(0.5),
    p99: at(0.99),
    errors: parts.reduce((sum, part) => sum + part.errors, 0),
    cpuMicrosPerRequest: Math.round(parts.reduce((sum, part) => sum + part.cpuMicros, 0) / Math.max(1, latencies.length)),
    postgresCpuMicrosPerRequest: Math.round(parts.reduce((sum, part) => sum + part.postgresCpuMicros, 0) / Math.max(1, latencies.length)),
  };
}

export async function run(target: ServerProcess, request: () => autocannon.Request, duration: number, connections = 50): Promise<RunResult> {
  return summarize([await measure(target, request, duration, connections)]);
}

/**
 * A scenario and the floor, after a warm-up of each, in alternating slices that
 * add up to `duration` seconds each: the machine's slow drifts (other tenants,
 * Postgres' background work) then weigh on both alike, and the ratio holds.
 */
export async function runBesideFloor(
  floor: { target: ServerProcess; request: () => autocannon.Request },
  scenario: { target: ServerProcess; request: () => autocannon.Request },
  duration: number,
): Promise<{ floor: RunResult; result: RunResult }> {
  const [floorResult, result] = await runInterleaved([floor, scenario], duration);
  return { floor: floorResult!, result: result! };
}

/** Each target after a warm-up, then all of them in turn, slice by slice, `duration` seconds each in all. */
export async function runInterleaved(targets: Array<{ target: ServerProcess; request: () => autocannon.Request }>, duration: number, slices = 5, connections = 50): Promise<RunResult[]> {
  for (const { target, request } of targets) await measure(target, request, 2, connections);
  const parts: Measurement[][] = targets.map(() => []);
  for (let slice = 0; slice < slices; slice++) {
    for (const [index, { target, request }] of targets.entries()) parts[index]!.push(await measure(target, request, duration / slices, connections));
  }
  return parts.map(summarize);
}

/** User + system CPU time of a process so far, in microseconds (Linux: /proc counts in 1/100 s). */
export function processCpuMicros(pid: number): number {
  // The command name, in parentheses, may hold spaces: fields are counted after it.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The same, summed over every live process named postgres (the server's backends live as long as their connections). */
export function postgresCpuMicros(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8') === 'postgres\n') total += processCpuMicros(Number(entry));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/** Resident memory of a process, in MiB (Linux). */
export async function residentMemoryMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kib / 1024) * 10) / 10;
}

export function printTable(title: string, headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((row) => row.map(String));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((row) => row[column]!.length)));
  console.log(`\n${title}`);
  console.log(headers.map((header, column) => header.padEnd(widths[column]!)).join('  '));
  for (const row of cells) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
}

export async function writeResults(name: string, data: unknown): Promise<string> {
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${name}.json`);
  await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, ...(data as object) }, null, 2)}\n`);
  return path.relative(ROOT, file);
}

async function startProcess(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let attempt = 0; attempt < 150; attempt++) {
    try {
      if ((await fetch(readyUrl, { headers: AUTH })).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`process did not become ready: ${args.join(' ')}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
