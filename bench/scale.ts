// Scenarios 4-6: the REST token read at 1k, 100k and 1M stored connections; a
// refresh storm (1,000 connections expiring at once, 200 readers); a soak of
// the token read, with the server's resident memory at start and end.
// BENCH_SIZES=1000,100000 and BENCH_SOAK_SECONDS=60 shorten a run.
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AUTH, printTable, residentMemoryMiB, ROOT, run, runInterleaved, seedConfig, seedConnections, startBenchDatabase, startFloorProcess, startServerProcess, writeResults, type BenchDatabase, type ServerProcess } from './harness.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SIZES = (process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map(Number);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const STORM_CONNECTIONS = 1000;

// A provider answering refresh grants at once, counting them.
let refreshes = 0;
/** When the provider answered the latest refresh (ms since the epoch). */
let lastRefreshAt = 0;
const provider = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    refreshes += 1;
    lastRefreshAt = Date.now();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: `refreshed-${refreshes}`, token_type: 'bearer', expires_in: 3600, refresh_token: `rotated-${refreshes}` }));
  });
});
await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/token`;

const bench = await startBenchDatabase();
try {
  await seedConfig(bench.client, 'bench');
  await seedConfig(bench.client, 'storm', providerUrl);
  // BENCH_PROFILE=1: the server writes a V8 CPU profile to bench/results/profiles/ when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench/results/profiles')] : [];
  const server = await startServerProcess(bench.database.url, profile);
  // 4. Size: a database per size in the same Postgres (the first is the one the storm and the
  // soak use), each with its server and its floor, all measured in turn slice by slice, so that
  // the machine's drifts between sizes do not pass for an effect of size.
  const sizes: Array<{ size: number; database: BenchDatabase; server: ServerProcess; floor: ServerProcess }> = [];
  try {
    for (const [index, size] of SIZES.entries()) {
      const database = index === 0 ? { url: bench.database.url, client: bench.client } : await bench.addDatabase(`size_${size}`);
      if (index > 0) await seedConfig(database.client, 'bench');
      await seedConnections(database.client, 'bench', 1, size, new Date(Date.now() + 86_400_000));
      sizes.push({ size, database, server: index === 0 ? server : await startServerProcess(database.url), floor: await startFloorProcess(database.url, 'bench') });
    }
    const requestFor = (size: number) => () => ({ method: 'GET' as const, path: `/connection/c${1 + Math.floor(Math.random() * size)}?provider_config_key=bench`, headers: AUTH });
    const measured = await runInterleaved(sizes.flatMap(({ size, server: sized, floor }) => [{ target: floor, request: requestFor(size) }, { target: sized, request: requestFor(size) }]), DURATION);
    const results = [];
    for (const [index, { size, database }] of sizes.entries()) {
      const { rows: [stored] } = await database.client.query("SELECT pg_table_size('connections') / 1048576 AS table_mib, current_setting('shared_buffers') AS shared_buffers");
      results.push({ size, tableMiB: Number(stored.table_mib), sharedBuffers: stored.shared_buffers, floor: measured[2 * index]!, rest: measured[2 * index + 1]! });
    }
    const base = results[0]!.rest.requestsPerSecond;
    printTable(
      `REST token read by number of stored connections, 50 connections, ${DURATION} s each, every size and its floor in turn`,
      ['stored connections', 'table MiB', 'req/s', 'p99 ms', '% of floor', 'vs smallest', 'CPU µs/req', 'floor CPU µs/req'],
      results.map((entry) => [
        entry.size.toLocaleString('en'),
        `${entry.tableMiB} (cache ${entry.sharedBuffers})`,
        entry.rest.requestsPerSecond,
        entry.rest.p99,
        `${Math.round((entry.rest.requestsPerSecond / entry.floor.requestsPerSecond) * 100)}%`,
        `${Math.round((entry.rest.requestsPerSecond / base) * 100)}%`,
        entry.rest.cpuMicrosPerRequest,
        entry.floor.cpuMicrosPerRequest,
      ]),
    );
    // Only the first size's server stays, for the storm and the soak.
    await Promise.all(sizes.flatMap((entry, index) => (index === 0 ? [entry.floor.stop()] : [entry.server.stop(), entry.floor.stop()])));

    // 5. Refresh storm: every one of 1,000 connections expired, 200 readers.
    await seedConnections(bench.client, 'storm', 1, STORM_CONNECTIONS, new Date(Date.now() - 1000));
    const before = refreshes;
    const started = Date.now();
    const storm = await run(server, () => ({ method: 'GET' as const, path: `/connection/c${1 + Math.floor(Math.random() * STORM_CONNECTIONS)}?provider_config_key=storm`, headers: AUTH }), DURATION, 200);
    const stormRefreshes = refreshes - before;
    // The rate while refreshing: from the first reader to the last refresh, not over the whole run
    // (once every connection is fresh, the readers only read).
    const stormSeconds = (lastRefreshAt - started) / 1000;
    const { rows } = await bench.client.query("SELECT count(*)::int AS n FROM connections WHERE provider_config_key = 'storm' AND last_refresh_success_at IS NOT NULL");
    printTable(
      `Refresh storm: ${STORM_CONNECTIONS} expired connections, 200 readers, ${DURATION} s`,
      ['refreshes at the provider', 'connections refreshed', 'all refreshed after s', 'refreshes/s', 'reader req/s', 'reader p99 ms', 'errors'],
      [[stormRefreshes, rows[0].n, stormSeconds.toFixed(1), Math.round(stormRefreshes / stormSeconds), storm.requestsPerSecond, storm.p99, storm.errors]],
    );

    // 6. Soak.
    const soakRequest = () => ({ method: 'GET' as const, path: `/connection/c${1 + Math.floor(Math.random() * 1000)}?provider_config_key=bench`, headers: AUTH });
    await run(server, soakRequest, 5);
    const memoryAtStart = await residentMemoryMiB(server.child.pid!);
    const soak = await run(server, soakRequest, SOAK_SECONDS);
    const memoryAtEnd = await residentMemoryMiB(server.child.pid!);
    printTable(
      `Soak: REST token read for ${SOAK_SECONDS} s, 50 connections`,
      ['req/s', 'p99 ms', 'errors', 'RSS start MiB', 'RSS end MiB', 'growth'],
      [[soak.requestsPerSecond, soak.p99, soak.errors, memoryAtStart, memoryAtEnd, `${(((memoryAtEnd - memoryAtStart) / memoryAtStart) * 100).toFixed(1)}%`]],
    );
    const file = await writeResults('scale', {
      durationSeconds: DURATION,
      sizes: results,
      storm: { connections: STORM_CONNECTIONS, concurrentReaders: 200, refreshes: stormRefreshes, connectionsRefreshed: rows[0].n, secondsToRefreshAll: stormSeconds, refreshesPerSecond: stormRefreshes / stormSeconds, readers: storm },
      soak: { seconds: SOAK_SECONDS, ...soak, memoryAtStartMiB: memoryAtStart, memoryAtEndMiB: memoryAtEnd },
    });
    console.log(`\nwritten to ${file}`);
  } finally {
    // Each once (the first size's server is `server`); stop() resolves at once for one that has exited.
    await Promise.all([...new Set([server, ...sizes.flatMap((entry) => [entry.server, entry.floor])])].map((child) => child.stop()));
  }
} finally {
  await bench.close();
  provider.close();
}
