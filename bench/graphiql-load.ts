// What GraphiQL's page costs the server, and what loading it in a loop does to
// the token read: anyone may load it, so it must stay cheap.
//   npx tsx bench/graphiql-load.ts [<other checkout> ...]
// For each checkout (this one when none is given): the server's CPU per first
// visit (the page and every file it names, as a browser without a cache fetches
// them) and per repeat visit (the page alone; its files are cached as
// immutable), then the REST token read's latency alone and while 10 clients
// load GraphiQL, first visits, in a loop. BENCH_SECONDS (default 10) per run.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { printTable, readRequests, ROOT, run, seedConfig, seedConnections, startBenchDatabase, startServerProcess, writeResults, type ServerProcess } from './harness.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const VISITS = 40;
const LOADERS = 10;
const CONNECTIONS = 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A GET whose body is read and dropped (never decompressed: the client's CPU is not the measure). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const keep = (response.headers['content-type'] ?? '').startsWith('text/html') && !response.headers['content-encoding'];
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

const BROWSER = { accept: 'text/html,application/xhtml+xml', 'accept-encoding': 'gzip, deflate, br' };

/** A first visit: the page, then the scripts, styles and icon it names from this server. Returns the bytes sent. */
async function firstVisit(server: ServerProcess): Promise<number> {
  const page = await get(`${server.url}/graphql`, { accept: BROWSER.accept });
  if (page.status !== 200) throw new Error(`GET /graphql answered ${page.status}`);
  // The files it links, and the editor's workers, named in its settings.
  const files = new Set([...page.body.matchAll(/(?:src|href)="(\/[^"]+)"|"(\/graphql\/assets\/[^"]+)"/g)].map((match) => (match[1] ?? match[2])!));
  let bytes = page.bytes;
  for (const file of files) {
    const answer = await get(`${server.url}${file}`, BROWSER);
    if (answer.status !== 200) throw new Error(`GET ${file} answered ${answer.status}`);
    bytes += answer.bytes;
  }
  return bytes;
}

async function repeatVisit(server: ServerProcess): Promise<number> {
  return (await get(`${server.url}/graphql`, { accept: BROWSER.accept })).bytes;
}

/** The server's CPU per visit over `count` visits in a row, in ms, and the bytes of one visit. */
async function cpuPerVisit(server: ServerProcess, visit: (server: ServerProcess) => Promise<number>, count: number): Promise<{ ms: number; bytes: number }> {
  // The first builds what the server keeps (files read, compressed once, off the event loop).
  await visit(server);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const before = processCpuMicros(server.child.pid!);
  let bytes = 0;
  for (let index = 0; index < count; index++) bytes = await visit(server);
  return { ms: Math.round((processCpuMicros(server.child.pid!) - before) / count / 100) / 10, bytes };
}

/** Token reads for DURATION s at 10 connections, while `loaders` clients make visits in a loop. */
async function readsWhileLoading(server: ServerProcess, loaders: number, visit = firstVisit): Promise<{ p50: number; p99: number; visitsPerSecond: number }> {
  let running = true;
  let visits = 0;
  const loops = Array.from({ length: loaders }, async () => {
    while (running) {
      await visit(server);
      visits += 1;
    }
  });
  const started = performance.now();
  const reads = readRequests(CONNECTIONS);
  const result = await run(server, reads.restRead, DURATION, 10);
  running = false;
  await Promise.all(loops);
  return { p50: result.p50, p99: result.p99, visitsPerSecond: Math.round((visits / ((performance.now() - started) / 1000)) * 10) / 10 };
}

function processCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const checkouts = process.argv.length > 2 ? process.argv.slice(2).map((other) => path.resolve(other)) : [ROOT];
const bench = await startBenchDatabase();
try {
  await seedConfig(bench.client, 'bench');
  await seedConnections(bench.client, 'bench', 1, CONNECTIONS, new Date(Date.now() + 86_400_000));
  const rows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  for (const checkout of checkouts) {
    const server = await startServerProcess(bench.database.url, [], checkout);
    try {
      const first = await cpuPerVisit(server, firstVisit, VISITS);
      const repeat = await cpuPerVisit(server, repeatVisit, VISITS * 5);
      const alone = await readsWhileLoading(server, 0);
      const loaded = await readsWhileLoading(server, LOADERS);
      const pageOnly = await readsWhileLoading(server, LOADERS, repeatVisit);
      const name = path.relative(process.cwd(), checkout) || '.';
      results.push({ checkout: name, firstVisit: first, repeatVisit: repeat, readsAlone: alone, besideFirstVisits: loaded, besideRepeatVisits: pageOnly });
      rows.push([name, first.bytes, first.ms, repeat.bytes, repeat.ms, alone.p50, alone.p99, loaded.p50, loaded.p99, loaded.visitsPerSecond, pageOnly.p50, pageOnly.p99, pageOnly.visitsPerSecond]);
    } finally {
      await server.stop();
    }
  }
  printTable(
    `GraphiQL: server CPU per visit, and the REST token read (10 connections, ${DURATION} s) alone, then beside ${LOADERS} clients making first visits, then repeat visits, in a loop`,
    ['checkout', 'first visit B', 'CPU ms', 'repeat visit B', 'CPU ms', 'read p50 ms', 'p99', 'p50 beside first', 'p99', 'visits/s', 'p50 beside repeat', 'p99', 'visits/s'],
    rows,
  );
  console.log(`\nwritten to ${await writeResults('graphiql', { loaders: LOADERS, readConnections: 10, durationSeconds: DURATION, results })}`);
} finally {
  agent.destroy();
  await bench.close();
}
