// What webhook delivery costs and how fast an event reaches its receiver:
//   npx tsx bench/webhooks.ts        (npm run bench:webhooks)
// Two server processes on one database, a receiver on loopback answering every
// delivery at once with 204, and EVENTS (10,000) events committed in batches of
// 500, as a busy service would. Printed: deliveries per second, from an
// event's commit to its receipt (p50, p99, max), attempts beyond one per event
// (none expected: the receiver never fails), and CPU; beside the floor of a
// loopback HTTP POST from this process (what one delivery cannot beat).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH, postgresCpuMicros, printTable, processCpuMicros, startBenchDatabase, startServerProcess, writeResults } from './harness.js';

const INSTANCES = 2;
const EVENTS = Number(process.env.EVENTS ?? 10_000);
const BATCH = 500;

const received = new Map<string, number>();
let attempts = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    attempts += 1;
    const id = String(req.headers['webhook-id']);
    if (!received.has(id)) received.set(id, Date.now());
    res.writeHead(204).end();
  });
});
receiver.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

/** The floor: sequential loopback POSTs of a delivery-sized body from this process, over keep-alive. */
async function postFloor(): Promise<{ p50: number; perSecondAt50: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const body = JSON.stringify({ id: 'evt_x', type: 'provider_config.updated', createdAt: new Date().toISOString(), data: { providerConfigKey: 'k', connectionId: null } });
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(hookUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'webhook-id': 'floor' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      });
      request.on('error', reject);
      request.end(body);
    });
  const latencies: number[] = [];
  for (let index = 0; index < 300; index++) latencies.push(await one());
  const started = performance.now();
  await Promise.all(Array.from({ length: 50 }, async () => {
    for (let index = 0; index < 100; index++) await one();
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  received.delete('floor');
  attempts = 0;
  return { p50: quantile(latencies, 0.5), perSecondAt50: Math.round(5000 / seconds) };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

const bench = await startBenchDatabase();
const env = { NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', NANGO_REFRESH_CONCURRENCY: '0' };
const servers = await Promise.all(Array.from({ length: INSTANCES }, () => startServerProcess(bench.database.url, [], undefined, env)));
process.on('exit', () => servers.forEach((server) => server.child.kill()));
try {
  const floor = await postFloor();
  const created = await fetch(`${servers[0]!.url}/graphql`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation { createWebhookEndpoint(input: { url: "${hookUrl}" }) { id } }` }),
  });
  if (!created.ok) throw new Error(`createWebhookEndpoint answered ${created.status}`);
  const serverCpu = servers.map((server) => processCpuMicros(server.child.pid!));
  const postgresCpu = postgresCpuMicros();
  const committedAt = new Map<string, number>();
  const started = Date.now();
  for (let done = 0; done < EVENTS; done += BATCH) {
    const { rows } = await bench.client.query<{ id: string }>(
      `INSERT INTO events (type, provider_config_key) SELECT 'provider_config.updated', 'bench-' || n FROM generate_series(1, $1) AS n RETURNING public_id AS id`,
      [Math.min(BATCH, EVENTS - done)],
    );
    const now = Date.now();
    for (const row of rows) committedAt.set(row.id, now);
  }
  const committedIn = (Date.now() - started) / 1000;
  while (received.size < EVENTS && Date.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 50));
  const seconds = (Math.max(...received.values()) - started) / 1000;
  const lags = [...received].map(([id, at]) => at - (committedAt.get(id) ?? at));
  const cpuMs = servers.reduce((sum, server, index) => sum + processCpuMicros(server.child.pid!) - serverCpu[index]!, 0) / 1000;
  const result = {
    instances: INSTANCES,
    events: EVENTS,
    committedInSeconds: Math.round(committedIn * 100) / 100,
    delivered: received.size,
    extraAttempts: attempts - received.size,
    deliveriesPerSecond: Math.round(received.size / seconds),
    commitToReceiptMs: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: Math.max(...lags) },
    serverCpuMsPerDelivery: Math.round((cpuMs / received.size) * 100) / 100,
    postgresCpuMsPerDelivery: Math.round(((postgresCpuMicros() - postgresCpu) / 1000 / received.size) * 100) / 100,
    floor,
  };
  printTable(
    `Webhook delivery: ${EVENTS} events committed in batches of ${BATCH} over ${committedIn.toFixed(2)} s, ${INSTANCES} instances, a receiver answering 204 at once`,
    ['delivered', 'deliveries/s', 'commit→receipt p50 ms', 'p99', 'max', 'extra attempts', 'server CPU ms/delivery', 'Postgres', 'floor: loopback POST p50 ms', 'floor POSTs/s (50 at once)'],
    [[result.delivered, result.deliveriesPerSecond, result.commitToReceiptMs.p50, result.commitToReceiptMs.p99, result.commitToReceiptMs.max, result.extraAttempts, result.serverCpuMsPerDelivery, result.postgresCpuMsPerDelivery, floor.p50, floor.perSecondAt50]],
  );
  console.log(`\nwritten to ${await writeResults('webhooks', result)}`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await bench.close();
  receiver.closeAllConnections();
  receiver.close();
}
