// Issue 20's figures: /proxy/* beside a bare Node reverse proxy (bench/bare-proxy.ts)
// in front of the same local API (bench/proxy-upstream.ts), in alternating
// slices, 50 connections; then a 100 MB download through /proxy with the
// server's resident memory sampled throughout. The floors: throughput at least
// 70 % of the bare proxy's, p50 at most 1 ms more, memory growth under 30 MB.
import { performance } from 'node:perf_hooks';
import { AUTH, freePort, type RunResult, type ServerProcess, printTable, residentMemoryMiB, runInterleaved, seedCredentials, startBenchDatabase, startBenchScript, startServerProcess, writeResults } from './harness.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 1000;
const DOWNLOAD_MB = Number(process.env.BENCH_DOWNLOAD_MB ?? 100);

const bench = await startBenchDatabase();
const upstreamPort = await freePort();
const upstream = await startBenchScript('proxy-upstream.ts', upstreamPort, [], '/ready');
const barePort = await freePort();
const bare = await startBenchScript('bare-proxy.ts', barePort, [upstream.url], '/proxy/ready');
const bareWithReadPort = await freePort();
const bareWithRead = await startBenchScript('bare-proxy.ts', bareWithReadPort, [upstream.url, bench.database.url], '/proxy/ready');
try {
  await bench.client.query(`INSERT INTO provider_configs (key, provider, base_url) VALUES ('api', 'custom-api-key', $1)`, [upstream.url]);
  const now = new Date();
  await seedCredentials(
    bench.client,
    'api',
    Array.from({ length: CONNECTIONS }, (_, index) => ({
      connectionId: `c${index + 1}`,
      credentials: { type: 'API_KEY', apiKey: 'bench-api-key', expiresAt: null, obtainedAt: now.toISOString(), raw: {} },
      expiresAt: new Date(now.getTime() + 365 * 86_400_000),
      refreshDueAt: null,
    })),
  );
  // The upstream is on loopback: allowed here, as NANGO_ALLOW_PRIVATE_PROVIDER_URLS allows it in a deployment that needs it.
  const server = await startServerProcess(bench.database.url, [], undefined, { NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' });
  try {
    const connection = () => `c${1 + Math.floor(Math.random() * CONNECTIONS)}`;
    const call = () => ({ method: 'GET' as const, path: '/proxy/users/octocat?per_page=5', headers: { ...AUTH, 'provider-config-key': 'api', 'connection-id': connection(), accept: 'application/json' } });
    const [floor, withRead, result] = (await runInterleaved([{ target: bare, request: call }, { target: bareWithRead, request: call }, { target: server, request: call }], DURATION)) as [RunResult, RunResult, RunResult];
    const ratio = result.requestsPerSecond / floor.requestsPerSecond;
    // Added latency is measured unloaded, one request at a time: at 50 connections the p50 is the queue's.
    const [bareAlone, proxyAlone] = await runInterleaved([{ target: bare, request: call }, { target: server, request: call }], 4, 4, 1);
    const added = Math.round((proxyAlone!.p50 - bareAlone!.p50) * 100) / 100;

    // A 100 MB download, read as fast as it comes, through each proxy; each process's RSS sampled every 20 ms.
    const downloadThrough = async (target: ServerProcess) => {
      const rssBefore = await residentMemoryMiB(target.child.pid!);
      let rssPeak = rssBefore;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          rssPeak = Math.max(rssPeak, await residentMemoryMiB(target.child.pid!));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const started = performance.now();
      const response = await fetch(`${target.url}/proxy/large?mb=${DOWNLOAD_MB}`, { headers: { ...AUTH, 'provider-config-key': 'api', 'connection-id': 'c1' } });
      let firstByteMs = 0;
      let bytes = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (bytes === 0) firstByteMs = Math.round(performance.now() - started);
        bytes += chunk.length;
      }
      const seconds = (performance.now() - started) / 1000;
      sampling = false;
      await sampler;
      return { bytes, seconds, firstByteMs, rssBefore, rssPeak, growth: Math.round((rssPeak - rssBefore) * 10) / 10 };
    };
    const bareDownload = await downloadThrough(bare);
    const download = await downloadThrough(server);
    const { bytes, seconds, firstByteMs, growth } = download;

    printTable(
      `/proxy/* beside a bare Node reverse proxy, the same local API, 50 connections, ${DURATION} s each in alternating slices (API key connections, secret key and encryption on)`,
      ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'Postgres CPU µs/req', 'errors'],
      [
        ['bare Node reverse proxy', floor.requestsPerSecond, floor.p50, floor.p99, floor.cpuMicrosPerRequest, floor.postgresCpuMicrosPerRequest, floor.errors],
        ['bare proxy reading the row first', withRead.requestsPerSecond, withRead.p50, withRead.p99, withRead.cpuMicrosPerRequest, withRead.postgresCpuMicrosPerRequest, withRead.errors],
        ['/proxy/* (this server)', result.requestsPerSecond, result.p50, result.p99, result.cpuMicrosPerRequest, result.postgresCpuMicrosPerRequest, result.errors],
        ['bare, 1 connection', bareAlone!.requestsPerSecond, bareAlone!.p50, bareAlone!.p99, bareAlone!.cpuMicrosPerRequest, bareAlone!.postgresCpuMicrosPerRequest, bareAlone!.errors],
        ['/proxy/*, 1 connection', proxyAlone!.requestsPerSecond, proxyAlone!.p50, proxyAlone!.p99, proxyAlone!.cpuMicrosPerRequest, proxyAlone!.postgresCpuMicrosPerRequest, proxyAlone!.errors],
      ],
    );
    printTable('Against the floors', ['measure', 'value', 'floor', 'met'], [
      ['throughput, % of the bare proxy', `${Math.round(ratio * 100)}%`, '>= 70%', ratio >= 0.7 ? 'yes' : 'NO'],
      ['throughput, % of the bare proxy reading the row', `${Math.round((result.requestsPerSecond / withRead.requestsPerSecond) * 100)}%`, '', ''],
      ['the bare proxy reading the row, % of the bare proxy', `${Math.round((withRead.requestsPerSecond / floor.requestsPerSecond) * 100)}%`, '', ''],
      ['p50 added (1 connection)', `${added} ms`, '<= 1 ms', added <= 1 ? 'yes' : 'NO'],
      [`${DOWNLOAD_MB} MB download: server RSS growth (peak)`, `${growth} MiB`, '< 30 MB', growth < 30 ? 'yes' : 'NO'],
      [`${DOWNLOAD_MB} MB download: bytes, time, first byte`, `${bytes === DOWNLOAD_MB * 1024 * 1024 ? 'all' : bytes}, ${seconds.toFixed(2)} s, ${firstByteMs} ms`, '', ''],
      [`${DOWNLOAD_MB} MB download through the bare proxy: RSS growth, time`, `${bareDownload.growth} MiB, ${bareDownload.seconds.toFixed(2)} s`, '', ''],
    ]);
    console.log(`\nwritten to ${await writeResults('proxy', { concurrency: 50, durationSeconds: DURATION, bare: floor, bareWithRead: withRead, proxy: result, bareAlone, proxyAlone, ratio, p50AddedMs: added, download: { megabytes: DOWNLOAD_MB, ...download }, bareDownload })}`);
  } finally {
    await server.stop();
  }
} finally {
  await Promise.all([upstream.stop(), bare.stop(), bareWithRead.stop()]);
  await bench.close();
}
