import { AUTH, freePort, printTable, run, seedCredentials, startBenchDatabase, startBenchScript, startServerProcess } from './harness.js';
const bench = await startBenchDatabase();
const upstream = await startBenchScript('proxy-upstream.ts', await freePort(), [], '/ready');
await bench.client.query(`INSERT INTO provider_configs (key, provider, base_url) VALUES ('api', 'custom-api-key', $1)`, [upstream.url]);
const now = new Date();
await seedCredentials(bench.client, 'api', Array.from({ length: 1000 }, (_, i) => ({ connectionId: `c${i + 1}`, credentials: { type: 'API_KEY', apiKey: 'bench-api-key', expiresAt: null, obtainedAt: now.toISOString(), raw: {} }, expiresAt: new Date(now.getTime() + 1e10), refreshDueAt: null })));
const root = process.argv[2] ?? undefined;
const server = await startServerProcess(bench.database.url, [], root, { NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true' });
const id = () => `c${1 + Math.floor(Math.random() * 1000)}`;
const proxyCall = () => ({ method: 'GET' as const, path: '/proxy/users/octocat?per_page=5', headers: { ...AUTH, 'provider-config-key': 'api', 'connection-id': id() } });
await run(server, proxyCall, 3);
const rows = [];
for (let i = 0; i < 3; i++) { const b = await run(server, proxyCall, 5); rows.push(['proxy', b.requestsPerSecond, b.cpuMicrosPerRequest, b.postgresCpuMicrosPerRequest]); }
printTable('exp', ['s', 'req/s', 'cpu', 'pg'], rows);
await server.stop(); await upstream.stop(); await bench.close();
