// Two builds of the server side by side, to measure what a change buys:
//   git worktree add /tmp/before HEAD~1
//   npx tsx bench/compare.ts /tmp/before [rest-read|graphql-read|rest-list|graphql-list ...]
// Both servers read the same database; each scenario runs on both after a
// warm-up, interleaved in 2-s slices (as the floor comparisons are), so that the
// machine's drifts weigh on both alike. The other checkout uses this one's
// node_modules when it has none.
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { printTable, readRequests, ROOT, runInterleaved, seedConfig, seedConnections, startBenchDatabase, startServerProcess } from './harness.js';

const [other, ...names] = process.argv.slice(2);
if (!other) throw new Error('usage: npx tsx bench/compare.ts <other checkout> [scenario ...]');
const otherRoot = path.resolve(other);
if (!existsSync(path.join(otherRoot, 'node_modules'))) symlinkSync(path.join(ROOT, 'node_modules'), path.join(otherRoot, 'node_modules'));
const DURATION = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 1000;

const reads = readRequests(CONNECTIONS);
const scenarios = { 'rest-read': reads.restRead, 'graphql-read': reads.graphqlRead, 'rest-list': reads.restList, 'graphql-list': reads.graphqlList };
const chosen = names.length > 0 ? names : Object.keys(scenarios);
for (const name of chosen) if (!(name in scenarios)) throw new Error(`unknown scenario ${name}: one of ${Object.keys(scenarios).join(', ')}`);

const bench = await startBenchDatabase();
try {
  await seedConfig(bench.client, 'bench');
  await seedConnections(bench.client, 'bench', 1, CONNECTIONS, new Date(Date.now() + 86_400_000));
  const [before, after] = [await startServerProcess(bench.database.url, [], otherRoot), await startServerProcess(bench.database.url)];
  try {
    const rows: Array<Array<string | number>> = [];
    for (const name of chosen) {
      const request = scenarios[name as keyof typeof scenarios];
      const [was, is] = await runInterleaved([{ target: before!, request }, { target: after!, request }], DURATION, 10);
      rows.push(
        [name, otherRoot, was!.requestsPerSecond, was!.p99, was!.cpuMicrosPerRequest, was!.postgresCpuMicrosPerRequest],
        [name, path.resolve(ROOT), is!.requestsPerSecond, is!.p99, is!.cpuMicrosPerRequest, is!.postgresCpuMicrosPerRequest],
      );
    }
    printTable(`Two servers on one database, ${DURATION} s each, interleaved`, ['scenario', 'checkout', 'req/s', 'p99 ms', 'CPU µs/req', 'Postgres CPU µs/req'], rows);
  } finally {
    await Promise.all([before?.stop(), after?.stop()]);
  }
} finally {
  await bench.close();
}
