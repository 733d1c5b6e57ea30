// Token read benchmark: GET /connection/:id (REST) and connection.credentials
// (GraphQL) for fresh tokens at 50 concurrent connections, next to the floor
// (bench/floor-server.ts) in the same run, so the ratios hold on a noisy machine.
// `npm run bench`. Prints a table and writes bench/results/<date>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, chmod, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres } from '../server/db/embedded.js';
import { migrate } from '../server/db/migrate.js';
import { createLogger } from '../server/log.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_ROWS ?? 1000);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = 50;
// Measured as it runs in production: with the secret key and encryption at rest.
const SECRET_KEY = 'sk-bench-0123456789abcdef';
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nango-bench-'));
  await chmod(dataDir, 0o755);
  const database = await startEmbeddedPostgres({ dataDir, database: 'bench', persistent: false, logger: createLogger('silent') });
  const children: ChildProcess[] = [];
  try {
    await migrate(database.url, createLogger('silent'));
    await seed(database.url);
    const serverPort = await freePort();
    const floorPort = await freePort();
    // BENCH_PROFILE=1: the server writes a V8 CPU profile to bench/results/profiles/ when it stops.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench/results/profiles')] : [];
    children.push(await startProcess([...profile, '--import', 'tsx', 'server/main.ts'], { DATABASE_URL: database.url, PORT: String(serverPort), LOG_LEVEL: 'warn', NANGO_SECRET_KEY: SECRET_KEY, NANGO_ENCRYPTION_KEY: ENCRYPTION_KEY }, `http://127.0.0.1:${serverPort}/health`));
    children.push(await startProcess(['--import', 'tsx', 'bench/floor-server.ts', database.url, String(floorPort)], {}, `http://127.0.0.1:${floorPort}/connection/c1?provider_config_key=bench`));

    const randomId = () => `c${1 + Math.floor(Math.random() * CONNECTIONS)}`;
    const graphqlBody = () =>
      JSON.stringify({
        query: 'query Token($k: String!, $c: String!) { connection(providerConfigKey: $k, connectionId: $c) { credentials { ... on OAuth2Credentials { accessToken expiresAt } } } }',
        variables: { k: 'bench', c: randomId() },
      });
    const scenarios = [
      { name: 'floor (node:http + pg)', url: `http://127.0.0.1:${floorPort}`, request: () => ({ method: 'GET' as const, path: `/connection/${randomId()}?provider_config_key=bench` }) },
      { name: 'REST GET /connection/:id', url: `http://127.0.0.1:${serverPort}`, request: () => ({ method: 'GET' as const, path: `/connection/${randomId()}?provider_config_key=bench`, headers: AUTH }) },
      {
        name: 'GraphQL connection.credentials',
        url: `http://127.0.0.1:${serverPort}`,
        request: () => ({ method: 'POST' as const, path: '/graphql', headers: { 'content-type': 'application/json', ...AUTH }, body: graphqlBody() }),
      },
      { name: 'REST GET /connection (first 100)', url: `http://127.0.0.1:${serverPort}`, request: () => ({ method: 'GET' as const, path: '/connection?first=100', headers: AUTH }) },
      {
        name: 'GraphQL connections(first: 100)',
        url: `http://127.0.0.1:${serverPort}`,
        request: () => ({
          method: 'POST' as const,
          path: '/graphql',
          headers: { 'content-type': 'application/json', ...AUTH },
          body: JSON.stringify({ query: '{ connections(first: 100) { nodes { connectionId providerConfigKey createdAt } pageInfo { endCursor hasNextPage } } }' }),
        }),
      },
    ];
    const only = process.env.BENCH_ONLY?.split(',');
    const results = [];
    for (const scenario of scenarios.filter((candidate, index) => index === 0 || !only || only.some((name) => candidate.name.includes(name)))) {
      await run(scenario.url, scenario.request, 2); // warm-up
      const result = await run(scenario.url, scenario.request, DURATION);
      results.push({ name: scenario.name, ...result });
    }
    const floor = results[0]!.requestsPerSecond;
    console.log(`\nToken reads, ${CONCURRENCY} connections, ${DURATION} s each, ${CONNECTIONS} stored connections, ${os.cpus().length} cores`);
    console.log('scenario                          req/s    p50 ms  p99 ms  % of floor  errors');
    for (const result of results) {
      console.log(
        `${result.name.padEnd(32)} ${String(Math.round(result.requestsPerSecond)).padStart(7)} ${String(result.p50).padStart(8)} ${String(result.p99).padStart(7)} ${`${Math.round((result.requestsPerSecond / floor) * 100)}%`.padStart(11)} ${String(result.errors).padStart(7)}`,
      );
    }
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-token-read.json`);
    await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), concurrency: CONCURRENCY, durationSeconds: DURATION, storedConnections: CONNECTIONS, results }, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(ROOT, file)}`);
  } finally {
    await Promise.all(children.map((child) => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    })));
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function seed(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url)
      VALUES ('bench', 'custom', 'id', 'secret', 'https://auth.example.com/authorize', 'https://auth.example.com/token')`);
    await client.query(
      `INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at)
       SELECT 'bench', 'c' || n,
         json_build_object('type', 'OAUTH2', 'accessToken', 'access-' || n, 'refreshToken', 'refresh-' || n, 'tokenType', 'bearer',
           'scopes', json_build_array('read'), 'expiresAt', to_char((now() + interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'obtainedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'raw', json_build_object('access_token', 'access-' || n))::text,
         now() + interval '1 day'
       FROM generate_series(1, $1::int) AS n`,
      [CONNECTIONS],
    );
  } finally {
    await client.end();
  }
}

function run(url: string, request: () => autocannon.Request, duration: number) {
  return new Promise<{ requestsPerSecond: number; p50: number; p99: number; errors: number }>((resolve, reject) => {
    autocannon(
      { url, connections: CONCURRENCY, duration, requests: [{ setupRequest: (req) => ({ ...req, ...request() }) }] },
      (error, result) => {
        if (error) return reject(error);
        resolve({ requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx });
      },
    );
  });
}

async function startProcess(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(readyUrl)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`process did not become ready: ${args.join(' ')}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

await main();
