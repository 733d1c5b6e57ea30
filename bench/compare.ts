// Two builds of the server side by side, to measure what a change buys:
//   git worktree add /tmp/before HEAD~1
//   npx tsx bench/compare.ts /tmp/before [rest-read|graphql-read|rest-list|graphql-list ...]
// Each server reads its own embedded Postgres, migrated and seeded by its own
// checkout's harness (a change may bring migrations or a new format of sealed
// values, which the other build cannot read); each scenario runs on both after a
// warm-up, interleaved in 2-s slices (as the floor comparisons are), so that the
// machine's drifts weigh on both alike. The other checkout uses this one's
// node_modules when it has none.
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ours from './harness.js';
import { printTable, readRequests, ROOT, runInterleaved } from './harness.js';

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

/** The part of a checkout's bench harness this comparison uses: the same in every version so far. */
type Harness = Pick<typeof ours, 'startBenchDatabase' | 'seedConfig' | 'seedConnections' | 'startServerProcess'>;
const theirs = (await import(pathToFileURL(path.join(otherRoot, 'bench/harness.ts')).href)) as Harness;

async function prepared(harness: Harness) {
  const bench = await harness.startBenchDatabase();
  await harness.seedConfig(bench.client, 'bench');
  await harness.seedConnections(bench.client, 'bench', 1, CONNECTIONS, new Date(Date.now() + 86_400_000));
  return bench;
}

const benches = [await prepared(theirs), await prepared(ours)];
try {
  const [before, after] = [await theirs.startServerProcess(benches[0]!.database.url, [], otherRoot), await ours.startServerProcess(benches[1]!.database.url)];
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
    printTable(`Two servers, each on its own Postgres, ${DURATION} s each, interleaved`, ['scenario', 'checkout', 'req/s', 'p99 ms', 'CPU µs/req', 'Postgres CPU µs/req'], rows);
  } finally {
    await Promise.all([before?.stop(), after?.stop()]);
  }
} finally {
  await Promise.all(benches.map((bench) => bench.close()));
}
