// What refreshing costs and whether it holds across instances: a storm of
// expired connections, and 60-s tokens kept fresh by the schedulers under reads.
//   npx tsx bench/refresh.ts          (npm run bench:refresh)
// Three server processes on one database, and a fake provider in this process
// (loopback) that answers every refresh_token grant in 200 ms with a rotated
// refresh token, counts each refresh token presented, and refuses one presented
// twice (invalid_grant, as a provider with reuse detection does).
// 1. Storm: STORM_CONNECTIONS (1,000) expired connections, refreshed by the
//    schedulers alone, by readers alone (3 per connection, spread over the
//    instances), then by both; config writes (createProviderConfig) sent meanwhile.
// 2. Steady state: STEADY_CONNECTIONS (10,000) with 60-s tokens kept fresh by the
//    schedulers for BENCH_SECONDS (300), while READ_RATE (300) reads/s go to
//    random connections on random instances. STEADY=0 skips it, STORM=0 the storm.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import {
  AUTH,
  postgresCpuMicros,
  printTable,
  processCpuMicros,
  seedConfig,
  seedCredentials,
  startBenchDatabase,
  startServerProcess,
  writeResults,
  type Bench,
  type ServerProcess,
} from './harness.js';

const INSTANCES = 3;
const PROVIDER_MS = 200;
const STORM_CONNECTIONS = Number(process.env.STORM_CONNECTIONS ?? 1000);
const READERS_PER_CONNECTION = 3;
const STEADY_CONNECTIONS = Number(process.env.STEADY_CONNECTIONS ?? 10_000);
const STEADY_SECONDS = Number(process.env.BENCH_SECONDS ?? 300);
const READ_RATE = Number(process.env.READ_RATE ?? 300);
const RUN_STEADY = process.env.STEADY !== '0';
const RUN_STORM = process.env.STORM !== '0';
// STORM_MODES=scheduler,readers: only those storms (all by default). 'alone' is the schedulers' storm with one
// instance running: what one instance does with the machine to itself (three instances share its two cores).
const STORM_MODES = (process.env.STORM_MODES ?? 'alone,scheduler,readers,both').split(',') as StormMode[];
// An experiment, not a production setting: 'off' makes Postgres acknowledge commits before their WAL is on disk,
// to show how much of a refresh's time is the commits' flushes on this disk.
const SYNCHRONOUS_COMMIT = process.env.BENCH_SYNCHRONOUS_COMMIT ?? 'on';
const CONCURRENCY = Number(process.env.NANGO_REFRESH_CONCURRENCY ?? 200);
const STEADY_LIFETIME_S = 60;
// The targets.
const TARGET_PER_INSTANCE = 400;
const TARGET_WRITE_MS = 100;
// A read slower than this waited on something (a provider answer takes 200 ms).
const SLOW_READ_MS = 150;

interface ProviderRequest {
  set: string;
  connection: string;
  receivedAt: number;
  answeredAt: number;
  ok: boolean;
  /** When the presented credentials' refresh window opened (expiry less half the lifetime), if known. */
  windowOpensAt: number | null;
  expiresAt: number | null;
}

/** The token endpoint: tokens are <kind>.<set>.<connection>.<generation>, so each answer can be checked against what was issued. */
class FakeProvider {
  readonly requests: ProviderRequest[] = [];
  /** Times each refresh token was presented. */
  readonly presented = new Map<string, number>();
  /** Access tokens by when they were sent, and every issued token's expiry. */
  readonly issuedAt = new Map<string, number>();
  readonly expiry = new Map<string, { expiresAt: number; lifetimeMs: number }>();
  inFlight = 0;
  maxInFlight = 0;
  private server!: http.Server;
  url = '';

  constructor(private readonly lifetimeSeconds: (set: string) => number) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), res));
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(form: URLSearchParams, res: http.ServerResponse): void {
    const receivedAt = Date.now();
    const token = form.get('refresh_token') ?? '';
    const [, set = '', connection = '', generation = '0'] = token.split('.');
    const times = (this.presented.get(token) ?? 0) + 1;
    this.presented.set(token, times);
    const known = this.expiry.get(token);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => {
      this.inFlight -= 1;
      const record: ProviderRequest = {
        set,
        connection,
        receivedAt,
        answeredAt: Date.now(),
        ok: times === 1 && form.get('grant_type') === 'refresh_token',
        windowOpensAt: known ? known.expiresAt - known.lifetimeMs / 2 : null,
        expiresAt: known?.expiresAt ?? null,
      };
      this.requests.push(record);
      if (!record.ok) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      const next = Number(generation) + 1;
      const lifetime = this.lifetimeSeconds(set);
      const access = `at.${set}.${connection}.${next}`;
      const refresh = `rt.${set}.${connection}.${next}`;
      const now = Date.now();
      this.issuedAt.set(access, now);
      this.expiry.set(refresh, { expiresAt: now + lifetime * 1000, lifetimeMs: lifetime * 1000 });
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify({ access_token: access, refresh_token: refresh, token_type: 'bearer', expires_in: lifetime }));
    }, PROVIDER_MS);
  }

  of(set: string): ProviderRequest[] {
    return this.requests.filter((request) => request.set === set);
  }

  /** Refresh tokens of `set` presented more than once (each extra presentation counts). */
  doubles(set: string): number {
    let doubles = 0;
    for (const [token, times] of this.presented) if (times > 1 && token.split('.')[1] === set) doubles += times - 1;
    return doubles;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Reply {
  status: number;
  body: string;
  ms: number;
  startedAt: number;
}

function request(agent: http.Agent, url: string, method: 'GET' | 'POST', body?: string): Promise<Reply> {
  const startedAt = Date.now();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...AUTH };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    const sent = http.request(url, { method, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started, startedAt }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

interface ReadTally {
  latencies: number[];
  byStatus: Record<string, number>;
  /** 200s whose token expires within a second (or has expired). */
  stale: number;
  /** 200s whose token the provider issued after the read began: the read waited on a refresh. */
  waitedOnRefresh: number;
  slow: number;
}

function newTally(): ReadTally {
  return { latencies: [], byStatus: {}, stale: 0, waitedOnRefresh: 0, slow: 0 };
}

function tallyRead(tally: ReadTally, reply: Reply, provider: FakeProvider): void {
  tally.latencies.push(reply.ms);
  tally.byStatus[reply.status] = (tally.byStatus[reply.status] ?? 0) + 1;
  if (reply.ms > SLOW_READ_MS) tally.slow += 1;
  if (reply.status !== 200) return;
  const credentials = (JSON.parse(reply.body) as { credentials: { access_token: string; expires_at: string | null } }).credentials;
  const answeredAt = reply.startedAt + reply.ms;
  if (credentials.expires_at && Date.parse(credentials.expires_at) - answeredAt < 1000) tally.stale += 1;
  const issued = provider.issuedAt.get(credentials.access_token);
  if (issued !== undefined && issued >= reply.startedAt) tally.waitedOnRefresh += 1;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** How many of `offsets` (ms) fall in each `stepMs` from 0. */
function timeline(offsets: number[], stepMs: number): number[] {
  const counts: number[] = [];
  for (const offset of offsets) {
    const at = Math.max(0, Math.floor(offset / stepMs));
    while (counts.length <= at) counts.push(0);
    counts[at]! += 1;
  }
  return counts;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Counters and gauges of one instance's /metrics. */
async function scrape(agent: http.Agent, server: ServerProcess): Promise<{ refreshed: number; failed: number; poolWaiting: number }> {
  const text = (await request(agent, `${server.url}/metrics`, 'GET')).body;
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  return {
    refreshed: sum(/^nango_token_refreshes_total\{[^}]*outcome="success"[^}]*\} (\S+)$/gm),
    failed: sum(/^nango_token_refreshes_total\{[^}]*outcome="failure"[^}]*\} (\S+)$/gm),
    poolWaiting: sum(/^nango_db_pool_connections\{state="waiting_clients"\} (\S+)$/gm),
  };
}

/** Busy and total jiffies of the whole machine (other tenants' work included). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/**
 * CPU of each server, of Postgres and of this process, as a share of one core
 * over the span; and the whole machine's (all cores: 100 = every core busy),
 * since other work on it shows as servers that wait for a core.
 */
function cpuMeter(servers: ServerProcess[]) {
  const started = performance.now();
  const machineBefore = machineJiffies();
  const serverBefore = servers.map((server) => processCpuMicros(server.child.pid!));
  const postgresBefore = postgresCpuMicros();
  const benchBefore = process.cpuUsage();
  return () => {
    const wallMicros = (performance.now() - started) * 1000;
    const share = (micros: number) => round((micros / wallMicros) * 100);
    const bench = process.cpuUsage(benchBefore);
    const machine = machineJiffies();
    return {
      serverCpuMs: round(servers.reduce((sum, server, index) => sum + processCpuMicros(server.child.pid!) - serverBefore[index]!, 0) / 1000),
      postgresCpuMs: round((postgresCpuMicros() - postgresBefore) / 1000),
      machineBusyPercent: round(((machine.busy - machineBefore.busy) / Math.max(1, machine.total - machineBefore.total)) * 100),
      loadAverage: round(os.loadavg()[0]!, 1),
      serversPercent: servers.map((server, index) => share(processCpuMicros(server.child.pid!) - serverBefore[index]!)),
      postgresPercent: share(postgresCpuMicros() - postgresBefore),
      benchPercent: share(bench.user + bench.system),
    };
  };
}

function oauth2Credentials(set: string, n: number, expiresAt: Date, obtainedAt: Date) {
  return {
    type: 'OAUTH2',
    accessToken: `at.${set}.c${n}.0`,
    refreshToken: `rt.${set}.c${n}.0`,
    tokenType: 'bearer',
    scopes: [],
    expiresAt: expiresAt.toISOString(),
    obtainedAt: obtainedAt.toISOString(),
    raw: {},
  };
}

type StormMode = 'alone' | 'scheduler' | 'readers' | 'both';

async function storm(mode: StormMode, bench: Bench, servers: ServerProcess[], provider: FakeProvider) {
  const set = `storm-${mode}`;
  const instances = servers.length;
  await seedConfig(bench.client, set, `${provider.url}/token`);
  const now = Date.now();
  // Expired an hour-long token a minute ago; not yet due for the schedulers (the storm starts below).
  await seedCredentials(
    bench.client,
    set,
    Array.from({ length: STORM_CONNECTIONS }, (_, index) => ({
      connectionId: `c${index + 1}`,
      credentials: oauth2Credentials(set, index + 1, new Date(now - 60_000), new Date(now - 3_660_000)),
      expiresAt: new Date(now - 60_000),
      refreshDueAt: null,
    })),
  );
  const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const writeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const readAgents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: 256 }));
  const before = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
  // The write's socket is open before the storm, as a client's would be.
  await request(writeAgent, `${servers[0]!.url}/graphql`, 'POST', JSON.stringify({ query: '{ __typename }' }));
  const cpu = cpuMeter(servers);
  const startedAt = Date.now();

  if (mode !== 'readers') await bench.client.query(`UPDATE connections SET refresh_due_at = now() - interval '1 second' WHERE provider_config_key = $1`, [set]);
  const reads = newTally();
  const readsDone =
    mode === 'scheduler' || mode === 'alone'
      ? Promise.resolve()
      : Promise.all(
          Array.from({ length: STORM_CONNECTIONS * READERS_PER_CONNECTION }, async (_, index) => {
            const n = (index % STORM_CONNECTIONS) + 1;
            const at = (n + Math.floor(index / STORM_CONNECTIONS)) % servers.length;
            const reply = await request(readAgents[at]!, `${servers[at]!.url}/connection/c${n}?provider_config_key=${set}`, 'GET');
            tallyRead(reads, reply, provider);
          }),
        ).then(() => undefined);

  let refreshedAll = false;
  const writes: Array<{ sentAt: number; ms: number; status: number }> = [];
  // Failed writes end the loop, and the storm's figures are reported beside the failure.
  let writeFailure: string | null = null;
  const writing = (async () => {
    for (let index = 0; !refreshedAll && Date.now() - startedAt < 60_000; index++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const mutation = `mutation { createProviderConfig(input: { key: "written-${set}-${index}", provider: "custom", clientId: "id", clientSecret: "secret", scopes: [], authorizationUrl: "${provider.url}/authorize", tokenUrl: "${provider.url}/token" }) { key } }`;
      const reply = await request(writeAgent, `${servers[index % servers.length]!.url}/graphql`, 'POST', JSON.stringify({ query: mutation }));
      if (reply.status !== 200 || reply.body.includes('"errors"')) {
        writeFailure = `createProviderConfig answered ${reply.status}: ${reply.body.slice(0, 300)}`;
        return;
      }
      writes.push({ sentAt: reply.startedAt, ms: reply.ms, status: reply.status });
    }
  })();
  let poolWaitingMax = 0;
  // What the servers' database sessions are doing meanwhile (sampled): where a pool wait comes from.
  const activity = new Map<string, number>();
  for (;;) {
    const sessions = await bench.client.query<{ what: string }>(
      `SELECT state || ' ' || coalesce(wait_event_type || ':' || wait_event, '-') || ' ' || regexp_replace(left(query, 70), '\\s+', ' ', 'g') AS what
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
    );
    for (const { what } of sessions.rows) activity.set(what, (activity.get(what) ?? 0) + 1);
    const { rows } = await bench.client.query<{ done: string }>(`SELECT count(*) AS done FROM connections WHERE provider_config_key = $1 AND credentials_version > 1`, [set]);
    if (Number(rows[0]!.done) >= STORM_CONNECTIONS || Date.now() - startedAt > 60_000) break;
    const sampled = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
    poolWaitingMax = Math.max(poolWaitingMax, ...sampled.map((sample) => sample.poolWaiting));
    // Every 250 ms: each scrape costs the servers the CPU of a few refreshes.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const allWrittenAt = Date.now();
  refreshedAll = true;
  await Promise.all([readsDone, writing]);
  const usage = cpu();
  const after = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
  for (const agent of [metricsAgent, writeAgent, ...readAgents]) agent.destroy();

  const calls = provider.of(set);
  const firstReceived = Math.min(...calls.map((call) => call.receivedAt));
  const lastAnswered = Math.max(...calls.map((call) => call.answeredAt));
  const windowSeconds = (lastAnswered - firstReceived) / 1000;
  const successes = new Map<string, number>();
  for (const call of calls) if (call.ok) successes.set(call.connection, (successes.get(call.connection) ?? 0) + 1);
  const perInstance = after.map((sample, index) => sample.refreshed - before[index]!.refreshed);
  const duringStorm = writes.filter((write) => write.sentAt >= firstReceived && write.sentAt <= lastAnswered).map((write) => write.ms);
  return {
    mode,
    instances,
    connections: STORM_CONNECTIONS,
    providerCalls: calls.length,
    refreshed: successes.size,
    failures: after.reduce((sum, sample, index) => sum + sample.failed - before[index]!.failed, 0),
    doubleRefreshes: provider.doubles(set) + [...successes.values()].reduce((sum, count) => sum + count - 1, 0),
    // From the provider's first request to its last answer; and from the storm's start until every row was written.
    windowSeconds: round(windowSeconds, 2),
    allWrittenSeconds: round((allWrittenAt - startedAt) / 1000, 2),
    refreshesPerSecond: round(calls.length / windowSeconds),
    perInstance: perInstance.map((count) => ({ refreshes: count, perSecond: round(count / windowSeconds) })),
    providerMaxInFlight: provider.maxInFlight,
    // Refresh requests reaching the provider in each 100 ms from the storm's start: how the waves of claims go.
    providerTimeline: timeline(calls.map((call) => call.receivedAt - startedAt), 100),
    configWritesDuringStorm: { count: duringStorm.length, p50: round(quantile(duringStorm, 0.5)), max: round(Math.max(0, ...duringStorm)) },
    configWriteFailure: writeFailure,
    configWritesAll: { count: writes.length, max: round(Math.max(0, ...writes.map((write) => write.ms))) },
    reads:
      mode === 'scheduler' || mode === 'alone'
        ? null
        : { count: reads.latencies.length, p50: round(quantile(reads.latencies, 0.5)), p99: round(quantile(reads.latencies, 0.99)), byStatus: reads.byStatus, stale: reads.stale },
    poolWaitingMax,
    sessionSamples: Object.fromEntries([...activity].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    cpu: usage,
  };
}

async function steady(bench: Bench, servers: ServerProcess[], provider: FakeProvider) {
  const set = 'steady';
  await seedConfig(bench.client, set, `${provider.url}/token`);
  const seededAt = Date.now();
  // 60-s tokens issued over the last minute (expiring 40 to 100 s from now), each due as the server would set it:
  // its window (half the lifetime) less up to a tenth of it.
  const rows = Array.from({ length: STEADY_CONNECTIONS }, (_, index) => {
    const expiresAt = seededAt + 40_000 + Math.random() * 60_000;
    const lifetime = STEADY_LIFETIME_S * 1000;
    provider.expiry.set(`rt.${set}.c${index + 1}.0`, { expiresAt, lifetimeMs: lifetime });
    return {
      connectionId: `c${index + 1}`,
      credentials: oauth2Credentials(set, index + 1, new Date(expiresAt), new Date(expiresAt - lifetime)),
      expiresAt: new Date(expiresAt),
      refreshDueAt: new Date(expiresAt - lifetime / 2 - Math.random() * (lifetime / 20)),
    };
  });
  await seedCredentials(bench.client, set, rows);

  const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const readAgents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: 64 }));
  const before = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
  const cpu = cpuMeter(servers);
  const startedAt = Date.now();
  const reads = newTally();
  let inFlight = 0;
  let skipped = 0;
  const pending = new Set<Promise<void>>();
  let poolWaitingMax = 0;
  let nextSample = startedAt + 5000;
  // Open loop: READ_RATE reads a second, in batches every 10 ms, whatever the answers' latency.
  for (let tick = 0; Date.now() - startedAt < STEADY_SECONDS * 1000; tick++) {
    const due = Math.floor(((tick + 1) * READ_RATE) / 100) - Math.floor((tick * READ_RATE) / 100);
    for (let index = 0; index < due; index++) {
      if (inFlight >= 500) {
        skipped += 1;
        continue;
      }
      const at = Math.floor(Math.random() * servers.length);
      const n = 1 + Math.floor(Math.random() * STEADY_CONNECTIONS);
      inFlight += 1;
      const read = request(readAgents[at]!, `${servers[at]!.url}/connection/c${n}?provider_config_key=${set}`, 'GET')
        .then((reply) => tallyRead(reads, reply, provider))
        .finally(() => {
          inFlight -= 1;
          pending.delete(read);
        });
      pending.add(read);
    }
    if (Date.now() >= nextSample) {
      nextSample += 5000;
      const sampled = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
      poolWaitingMax = Math.max(poolWaitingMax, ...sampled.map((sample) => sample.poolWaiting));
    }
    const wait = startedAt + (tick + 1) * 10 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  await Promise.all(pending);
  const seconds = (Date.now() - startedAt) / 1000;
  const usage = cpu();
  const after = await Promise.all(servers.map((server) => scrape(metricsAgent, server)));
  metricsAgent.destroy();
  for (const agent of readAgents) agent.destroy();

  const calls = provider.of(set).filter((call) => call.receivedAt >= startedAt);
  // How late past its window's opening each refresh reached the provider (negative: ahead of it). Readers refresh
  // from the window's opening on, so a positive lateness is a read that could have waited.
  const lateness = calls.filter((call) => call.windowOpensAt !== null).map((call) => call.receivedAt - call.windowOpensAt!);
  const beforeExpiry = calls.filter((call) => call.expiresAt !== null).map((call) => (call.expiresAt! - call.receivedAt) / 1000);
  const perInstance = after.map((sample, index) => sample.refreshed - before[index]!.refreshed);
  return {
    connections: STEADY_CONNECTIONS,
    tokenLifetimeSeconds: STEADY_LIFETIME_S,
    seconds: round(seconds),
    readRate: READ_RATE,
    reads: {
      count: reads.latencies.length,
      skipped,
      p50: round(quantile(reads.latencies, 0.5), 1),
      p99: round(quantile(reads.latencies, 0.99), 1),
      max: round(Math.max(0, ...reads.latencies)),
      byStatus: reads.byStatus,
      refreshPending503: reads.byStatus['503'] ?? 0,
      stale: reads.stale,
      waitedOnRefresh: reads.waitedOnRefresh,
      slowerThanMs: { ms: SLOW_READ_MS, count: reads.slow },
    },
    refreshes: calls.length,
    failures: after.reduce((sum, sample, index) => sum + sample.failed - before[index]!.failed, 0),
    refreshesPerSecond: round(calls.length / seconds),
    perInstance: perInstance.map((count) => round(count / seconds)),
    doubleRefreshes: provider.doubles(set),
    lag: {
      lateIntoWindow: lateness.filter((ms) => ms > 0).length,
      p50Ms: round(quantile(lateness, 0.5)),
      p99Ms: round(quantile(lateness, 0.99)),
      maxMs: round(Math.max(...lateness)),
      minSecondsBeforeExpiry: round(Math.min(...beforeExpiry), 1),
    },
    poolWaitingMax,
    cpu: usage,
  };
}

/** The floor under every refresh: one single-row UPDATE committed on its own, as the claim and the write each are. */
async function commitLatency(bench: Bench): Promise<{ p50: number; p99: number }> {
  await bench.client.query('CREATE TABLE commit_probe (id int PRIMARY KEY, n int)');
  await bench.client.query('INSERT INTO commit_probe VALUES (1, 0)');
  const latencies: number[] = [];
  for (let index = 0; index < 300; index++) {
    const started = performance.now();
    await bench.client.query('UPDATE commit_probe SET n = n + 1 WHERE id = 1');
    latencies.push(performance.now() - started);
  }
  await bench.client.query('DROP TABLE commit_probe');
  return { p50: round(quantile(latencies, 0.5), 2), p99: round(quantile(latencies, 0.99), 2) };
}

const provider = new FakeProvider((set) => (set === 'steady' ? STEADY_LIFETIME_S : 3600));
await provider.start();
const bench = await startBenchDatabase();
if (SYNCHRONOUS_COMMIT === 'off') {
  await bench.client.query('ALTER DATABASE bench SET synchronous_commit = off');
  await bench.client.query('SET synchronous_commit = off');
}
const env = {
  NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true',
  NANGO_REFRESH_CONCURRENCY: String(CONCURRENCY),
  ...(process.env.NANGO_REFRESH_SCHEDULER_INTERVAL_MS ? { NANGO_REFRESH_SCHEDULER_INTERVAL_MS: process.env.NANGO_REFRESH_SCHEDULER_INTERVAL_MS } : {}),
};
// BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it stops (where a refresh's CPU goes).
const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
// One instance first (the storm it runs alone), then the others.
const servers = [await startServerProcess(bench.database.url, nodeArgs, undefined, env)];
// A crash must not leave the servers running (they hold this process's stderr).
process.on('exit', () => servers.forEach((server) => server.child.kill()));
try {
  const commit = await commitLatency(bench);
  console.log(`\nThe floor: one single-row UPDATE committed on its own on this disk (synchronous_commit ${SYNCHRONOUS_COMMIT}), 300 in a row: p50 ${commit.p50} ms, p99 ${commit.p99} ms`);
  const storms = [];
  if (RUN_STORM && STORM_MODES.includes('alone')) storms.push(await storm('alone', bench, servers, provider));
  servers.push(...(await Promise.all(Array.from({ length: INSTANCES - 1 }, () => startServerProcess(bench.database.url, nodeArgs, undefined, env)))));
  if (RUN_STORM) for (const mode of STORM_MODES.filter((each) => each !== 'alone')) storms.push(await storm(mode, bench, servers, provider));
  const ceiling = Math.round(CONCURRENCY / (PROVIDER_MS / 1000));
  if (RUN_STORM) printTable(
    `Refresh storm: ${STORM_CONNECTIONS} expired connections, provider answering in ${PROVIDER_MS} ms, one instance alone then ${INSTANCES} (scheduler concurrency ${CONCURRENCY}: at most ${ceiling}/s per instance from the scheduler alone)`,
    ['refreshed by', 'refreshes/s per instance', 'target', 'each instance', 'window s', 'double', 'target', 'config write p50 ms', 'max', 'target', 'reads p50 ms', 'p99', 'non-200', 'pool waits max', 'CPU ms per refresh: servers', 'Postgres', 'CPU % servers', 'Postgres', 'bench', 'machine busy %', 'load'],
    storms.map((result) => [
      result.mode === 'alone' ? 'scheduler, 1 instance' : `${result.mode}, ${result.instances} instances`,
      round(result.refreshesPerSecond / result.instances),
      `>= ${TARGET_PER_INSTANCE}`,
      result.perInstance.map((each) => each.perSecond).join(' / '),
      result.windowSeconds,
      result.doubleRefreshes,
      0,
      result.configWritesDuringStorm.p50,
      result.configWritesDuringStorm.max,
      `< ${TARGET_WRITE_MS}`,
      result.reads?.p50 ?? '-',
      result.reads?.p99 ?? '-',
      result.reads ? result.reads.count - (result.reads.byStatus['200'] ?? 0) : '-',
      result.poolWaitingMax,
      round(result.cpu.serverCpuMs / result.providerCalls, 2),
      round(result.cpu.postgresCpuMs / result.providerCalls, 2),
      result.cpu.serversPercent.join('+'),
      result.cpu.postgresPercent,
      result.cpu.benchPercent,
      result.cpu.machineBusyPercent,
      result.cpu.loadAverage,
    ]),
  );
  for (const result of storms) console.log(`${result.mode}: database sessions seen busy (samples): ${JSON.stringify(result.sessionSamples)}`);
  const steadyResult = RUN_STEADY ? await steady(bench, servers, provider) : null;
  if (steadyResult) {
    printTable(
      `Steady state: ${STEADY_CONNECTIONS} connections with ${STEADY_LIFETIME_S}-s tokens, ${steadyResult.seconds} s, ${READ_RATE} reads/s on random connections over ${INSTANCES} instances`,
      ['reads', 'p50 ms', 'p99 ms', 'max', 'waited on a refresh', 'target', '503 pending', 'stale (<1 s)', `> ${SLOW_READ_MS} ms`, 'refreshes/s', 'each instance', 'double', 'late into window', 'lag p50 ms', 'p99', 'max', 'min s before expiry', 'pool waits max', 'CPU % servers', 'Postgres', 'bench', 'machine busy %', 'load'],
      [
        [
          steadyResult.reads.count,
          steadyResult.reads.p50,
          steadyResult.reads.p99,
          steadyResult.reads.max,
          steadyResult.reads.waitedOnRefresh,
          0,
          steadyResult.reads.refreshPending503,
          steadyResult.reads.stale,
          steadyResult.reads.slowerThanMs.count,
          steadyResult.refreshesPerSecond,
          steadyResult.perInstance.join(' / '),
          steadyResult.doubleRefreshes,
          steadyResult.lag.lateIntoWindow,
          steadyResult.lag.p50Ms,
          steadyResult.lag.p99Ms,
          steadyResult.lag.maxMs,
          steadyResult.lag.minSecondsBeforeExpiry,
          steadyResult.poolWaitingMax,
          steadyResult.cpu.serversPercent.join('+'),
          steadyResult.cpu.postgresPercent,
          steadyResult.cpu.benchPercent,
          steadyResult.cpu.machineBusyPercent,
          steadyResult.cpu.loadAverage,
        ],
      ],
    );
    console.log('(lag: when a refresh reached the provider, relative to the opening of its refresh window, expiry less half the lifetime; negative is ahead)');
  }
  // Runs that are not the (an experiment, a smaller steady state) are kept apart from it.
  const variant = [SYNCHRONOUS_COMMIT === 'off' ? 'async-commit' : '', RUN_STORM ? '' : `steady-${STEADY_CONNECTIONS}`, process.env.STORM_MODES ? `storms-${STORM_MODES.join('-')}` : ''].filter(Boolean).join('-');
  const file = await writeResults(variant ? `refresh-${variant}` : 'refresh', {
    instances: INSTANCES,
    providerMs: PROVIDER_MS,
    schedulerConcurrency: CONCURRENCY,
    synchronousCommit: SYNCHRONOUS_COMMIT,
    commitLatencyMs: commit,
    targets: { refreshesPerSecondPerInstance: TARGET_PER_INSTANCE, configWriteMs: TARGET_WRITE_MS, doubleRefreshes: 0, readsWaitingOnRefresh: 0 },
    storms,
    steady: steadyResult,
  });
  console.log(`\nwritten to ${file}`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await bench.close();
  await provider.close();
}
