// GET /connection/:id and GET /connection are declared `fast`: Node's listener
// serves them (server/http/fast-path.ts) unless the request carries a body,
// which sends it to the router. These tests hold the two to the same answers.
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { seedGithubConnections } from './support/database.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET = 'sk-lane-test-secret';
const AUTH = { authorization: `Bearer ${SECRET}` };
const lines: Array<Record<string, unknown>> = [];
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET }, logger: createLogger('info', sink) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  await seedGithubConnections(db, ['plain', 'with space', 'ünïcode'], 'lane-token');
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

/** Headers that must match; the router closes a connection whose body it left unread. */
function compared(headers: Array<[string, string]>): Record<string, string> {
  return Object.fromEntries(headers.filter(([name]) => !/^(date|connection|keep-alive)$/.test(name)));
}

async function get(path: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: any }> {
  const response = await fetch(`${server.url}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

describe('the fast path for the REST reads', () => {
  it('answers the Nango-shaped connection, decoding the id as the router does', async () => {
    for (const [path, id] of [['plain', 'plain'], ['with%20space', 'with space'], [encodeURIComponent('ünïcode'), 'ünïcode']]) {
      const read = await get(`/connection/${path}?provider_config_key=github`);
      expect(read).toMatchObject({ status: 200, type: 'application/json', body: { connection_id: id, provider_config_key: 'github' } });
      expect(read.body.credentials).toEqual({ type: 'OAUTH2', access_token: 'lane-token', refresh_token: null, expires_at: null, raw: { access_token: 'lane-token' } });
    }
  });

  it('gives the same answers as the router, which still serves a GET that carries a body', async () => {
    // Node's fetch will not send a GET body; a raw request does.
    const viaRouter = async (path: string, headers: Record<string, string>) => {
      const response = await new Promise<{ status: number; headers: Record<string, string>; body: string }>((resolve, reject) => {
        const url = new URL(`${server.url}${path}`);
        const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: { ...headers, 'content-length': '2' } }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: compared(Object.entries(res.headers).map(([name, value]) => [name, String(value)])), body }));
        });
        req.on('error', reject);
        req.end('{}');
      });
      return { status: response.status, headers: response.headers, body: JSON.parse(response.body) };
    };
    const cases: Array<[string, Record<string, string>]> = [
      ['/connection/plain?provider_config_key=github', AUTH],
      ['/connection/plain?provider_config_key=github&provider_config_key=other', AUTH],
      ['/connection/plain', AUTH],
      ['/connection/plain?provider_config_key=', AUTH],
      ['/connection/plain?provider_config_key=github&force_refresh=maybe', AUTH],
      ['/connection/nobody?provider_config_key=github', AUTH],
      ['/connection/plain?provider_config_key=gith%00ub', AUTH],
      ['/connection/plain?provider_config_key=github', {}],
      ['/connection/plain?provider_config_key=github', { authorization: 'Bearer wrong' }],
      ['/connection/plain?provider_config_key=github', { authorization: 'Digest abc' }],
      ['/connection', AUTH],
      ['/connection?first=2', AUTH],
      ['/connection?first=2&first=3&unknown=1', AUTH],
      ['/connection?provider_config_key=github&first=1', AUTH],
      ['/connection?provider_config_key=git%68ub&first=1', AUTH],
      ['/connection?provider_config_key=nobody', AUTH],
      ['/connection?provider_config_key=', AUTH],
      ['/connection?provider_config_key=a+b', AUTH],
      ['/connection?first=0', AUTH],
      ['/connection?first=1.5', AUTH],
      ['/connection?first=many', AUTH],
      ['/connection?first=101', AUTH],
      ['/connection?after=forged', AUTH],
      ['/connection?first=1&after=', AUTH],
      ['/connection', {}],
      ['/connection?first=1', { authorization: 'Bearer wrong' }],
    ];
    // A real cursor, from the lane, to be followed by both.
    const firstPage = (await get('/connection?first=1')).body;
    expect(firstPage.next_cursor).toEqual(expect.any(String));
    cases.push([`/connection?first=1&after=${firstPage.next_cursor}`, AUTH]);
    for (const [path, headers] of cases) {
      const lane = await fetch(`${server.url}${path}`, { headers });
      const laneAnswer = { status: lane.status, headers: compared([...lane.headers]), body: await lane.json() };
      expect([path, laneAnswer]).toEqual([path, await viaRouter(path, headers)]);
    }
  });

  it('answers a path no route has with not_found, and bytes that are not UTF-8 or a NUL with invalid_input', async () => {
    expect((await get('/connection/plain/extra?provider_config_key=github')).body.error.code).toBe('not_found');
    for (const path of ['/connection/%E0%A4%A?provider_config_key=github', '/connection/pl%00ain?provider_config_key=github', '/connection/plain?provider_config_key=git%FFhub', '/connection?after=%00']) {
      const answer = await get(path);
      expect([path, answer.status, answer.body.error.code]).toEqual([path, 400, 'invalid_input']);
    }
  });

  it('logs its line and counts its requests under the route pattern, never the path or the query', async () => {
    lines.length = 0;
    await get('/connection/plain?provider_config_key=github');
    await get('/connection/nobody?provider_config_key=github');
    const logged = lines.filter((line) => line.msg === 'request');
    expect(logged).toEqual([
      expect.objectContaining({ method: 'GET', path: '/connection/plain', status: 200, ms: expect.any(Number) }),
      expect.objectContaining({ method: 'GET', path: '/connection/nobody', status: 404 }),
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: AUTH })).text();
    expect(metrics).toMatch(/nango_http_request_duration_seconds_count\{method="GET",route="\/connection\/:connectionId",status="200"\} [1-9]/);
    expect(metrics).toMatch(/nango_http_request_duration_seconds_count\{method="GET",route="\/connection\/:connectionId",status="404"\} [1-9]/);
    expect(metrics).not.toContain('/connection/plain');
  });

  it('keeps answering while Postgres ends every session of the server, as a restart or a failover does', async () => {
    const ids = ['plain', 'with space', 'ünïcode'];
    let stop = false;
    const statuses: number[] = [];
    const readers = Array.from({ length: 8 }, async (_, reader) => {
      for (let n = 0; !stop; n++) {
        const id = ids[(reader + n) % ids.length] as string;
        const response = await fetch(`${server.url}/connection/${encodeURIComponent(id)}?provider_config_key=github`, { headers: AUTH });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { rows } = await db.query<{ ended: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await Promise.all(readers);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(lines.filter((line) => line.msg === 'unexpected error')).toEqual([]);
  });
});
