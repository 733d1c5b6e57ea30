import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { spawnServer } from './support/server-process.js';

// A provider that takes a while to answer a refresh: the request under way when SIGTERM arrives.
const PROVIDER_DELAY_MS = 1500;
let database: TestDatabase;
let provider: http.Server;
let db: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  provider = http.createServer((_req, res) => {
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'after-shutdown-began', token_type: 'bearer', expires_in: 3600 }));
    }, PROVIDER_DELAY_MS);
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('slow', 'custom', 'id', 'secret', $1, $2)`, [`${url}/authorize`, `${url}/token`]);
  const credentials = { type: 'OAUTH2', accessToken: 'before', refreshToken: 'refresh', tokenType: 'bearer', scopes: [], expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} };
  await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('slow', 'user-1', $1)`, [JSON.stringify(credentials)]);
});
afterAll(async () => {
  await db?.end();
  await new Promise((resolve) => provider?.close(resolve));
  await database?.drop();
});

describe('graceful shutdown', () => {
  it('finishes the request under way on SIGTERM, refuses new ones, and exits cleanly', async () => {
    const server = await spawnServer({ DATABASE_URL: database.url });
    const inFlight = fetch(`${server.url}/connection/user-1?provider_config_key=slow&force_refresh=true`);
    await new Promise((resolve) => setTimeout(resolve, PROVIDER_DELAY_MS / 3));
    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect((await response.json()).credentials.access_token).toBe('after-shutdown-began');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopping: no new connections');
    expect(server.output()).toMatch(/"msg":"stopped"\}\n$/);

    // The refresh was committed before the process went away.
    const { rows } = await db.query("SELECT credentials FROM connections WHERE connection_id = 'user-1'");
    expect(JSON.parse(rows[0].credentials).accessToken).toBe('after-shutdown-began');
  }, 30_000);
});
