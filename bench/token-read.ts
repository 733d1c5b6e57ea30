// Scenarios 1-3: token reads through REST and GraphQL, and the first page of
// connections, at 50 concurrent connections, each next to the floor
// (bench/floor-server.ts) in the same run, so the ratios hold on a noisy machine.
import path from 'node:path';
import { AUTH, printTable, ROOT, runBesideFloor, seedConfig, seedConnections, startBenchDatabase, startFloorProcess, startServerProcess, startYogaCeilingProcess, writeResults } from './harness.js';

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
  try {
    const randomId = () => `c${1 + Math.floor(Math.random() * CONNECTIONS)}`;
    const graphql = (query: string, variables?: object) => () => ({
      method: 'POST' as const,
      path: '/graphql',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ query, variables }),
    });
    const tokenQuery = 'query Token($k: String!, $c: String!) { connection(providerConfigKey: $k, connectionId: $c) { credentials { ... on OAuth2Credentials { accessToken expiresAt } } } }';
    const floorRead = { target: floor, request: () => ({ method: 'GET' as const, path: `/connection/${randomId()}?provider_config_key=bench` }) };
    const scenarios = [
      { name: 'REST GET /connection/:id', target: server, request: () => ({ method: 'GET' as const, path: `/connection/${randomId()}?provider_config_key=bench`, headers: AUTH }) },
      { name: 'GraphQL connection.credentials', target: server, request: () => graphql(tokenQuery, { k: 'bench', c: randomId() })() },
      { name: 'REST GET /connection (first 100)', target: server, request: () => ({ method: 'GET' as const, path: '/connection?first=100', headers: AUTH }) },
      { name: 'GraphQL connections(first: 100)', target: server, request: graphql('{ connections(first: 100) { nodes { connectionId providerConfigKey createdAt } pageInfo { endCursor hasNextPage } } }') },
      // A reference, not our server: Yoga with a one-field schema and no database or plugins.
      { name: 'reference: Yoga alone, no database', target: yogaAlone, request: () => graphql('query Token($id: String!) { token(id: $id) }', { id: randomId() })() },
    ];
    const only = process.env.BENCH_ONLY?.split(',');
    const results = [];
    for (const scenario of scenarios.filter((candidate) => !only || only.some((name) => candidate.name.includes(name)))) {
      const { floor: floorResult, result } = await runBesideFloor(floorRead, scenario, DURATION);
      results.push({ name: scenario.name, ...result, floor: floorResult });
    }
    printTable(
      `Reads, 50 connections, ${DURATION} s each beside the floor (node:http + pg, the same row) in alternating slices, ${CONNECTIONS} stored connections, secret key and encryption on`,
      ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'floor req/s', '% of floor', 'CPU µs/req', 'floor CPU µs/req', 'errors'],
      results.map((result) => [
        result.name,
        result.requestsPerSecond,
        result.p50,
        result.p99,
        result.floor.requestsPerSecond,
        `${Math.round((result.requestsPerSecond / result.floor.requestsPerSecond) * 100)}%`,
        result.cpuMicrosPerRequest,
        result.floor.cpuMicrosPerRequest,
        result.errors,
      ]),
    );
    console.log(`\nwritten to ${await writeResults('token-read', { concurrency: 50, durationSeconds: DURATION, storedConnections: CONNECTIONS, results })}`);
  } finally {
    await Promise.all([server.stop(), floor.stop(), yogaAlone.stop()]);
  }
} finally {
  await bench.close();
}
