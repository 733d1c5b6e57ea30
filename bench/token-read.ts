// Scenarios 1-3: token reads through REST and GraphQL, and the first page of
// connections, at 50 concurrent connections, each next to the floor
// (bench/floor-server.ts) in the same run, so the ratios hold on a noisy machine.
import path from 'node:path';
import { printTable, readRequests, ROOT, runBesideFloor, seedConfig, seedConnections, startBenchDatabase, startFloorProcess, startServerProcess, startYogaCeilingProcess, writeResults } from './harness.js';

const CONNECTIONS = Number(process.env.BENCH_ROWS ?? 1000);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

const bench = await startBenchDatabase();
try {
  await seedConfig(bench.client, 'bench');
  await seedConnections(bench.client, 'bench', 1, CONNECTIONS, new Date(Date.now() + 86_400_000));
  // BENCH_PROFILE=1: the server and the floor write V8 CPU profiles to bench/results/profiles/ when they stop.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench/results/profiles')] : [];
  const server = await startServerProcess(bench.database.url, profile);
  const floor = await startFloorProcess(bench.database.url, 'bench', profile);
  const yogaAlone = await startYogaCeilingProcess();
  const pipelinedFloor = await startFloorProcess(bench.database.url, 'bench', [], 'pipelined');
  try {
    const reads = readRequests(CONNECTIONS);
    const floorRead = { target: floor, request: () => ({ method: 'GET' as const, path: `/connection/${reads.randomId()}?provider_config_key=bench` }) };
    const scenarios = [
      { name: 'REST GET /connection/:id', target: server, request: reads.restRead },
      { name: 'GraphQL connection.credentials', target: server, request: reads.graphqlRead },
      { name: 'REST GET /connection (first 100)', target: server, request: reads.restList },
      { name: 'GraphQL connections(first: 100)', target: server, request: reads.graphqlList },
      // A reference, not our server: Yoga with a one-field schema and no database or plugins.
      { name: 'reference: Yoga alone, no database', target: yogaAlone, request: () => reads.graphql('query Token($id: String!) { token(id: $id) }', { id: reads.randomId() }) },
      // A reference too: the floor itself on two pipelined connections, as the server reads, instead of a pool of ten.
      { name: 'reference: the floor, pipelined', target: pipelinedFloor, request: floorRead.request },
    ];
    const only = process.env.BENCH_ONLY?.split(',');
    const results = [];
    for (const scenario of scenarios.filter((candidate) => !only || only.some((name) => candidate.name.includes(name)))) {
      const { floor: floorResult, result } = await runBesideFloor(floorRead, scenario, DURATION);
      results.push({ name: scenario.name, ...result, floor: floorResult });
    }
    printTable(
      `Reads, 50 connections, ${DURATION} s each beside the floor (node:http + pg, the same row) in alternating slices, ${CONNECTIONS} stored connections, secret key and encryption on`,
      ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'floor req/s', '% of floor', 'CPU µs/req', 'floor CPU µs/req', 'Postgres CPU µs/req', 'floor Postgres', 'errors'],
      results.map((result) => [
        result.name,
        result.requestsPerSecond,
        result.p50,
        result.p99,
        result.floor.requestsPerSecond,
        `${Math.round((result.requestsPerSecond / result.floor.requestsPerSecond) * 100)}%`,
        result.cpuMicrosPerRequest,
        result.floor.cpuMicrosPerRequest,
        result.postgresCpuMicrosPerRequest,
        result.floor.postgresCpuMicrosPerRequest,
        result.errors,
      ]),
    );
    console.log(`\nwritten to ${await writeResults('token-read', { concurrency: 50, durationSeconds: DURATION, storedConnections: CONNECTIONS, results })}`);
  } finally {
    await Promise.all([server.stop(), floor.stop(), yogaAlone.stop(), pipelinedFloor.stop()]);
  }
} finally {
  await bench.close();
}
