// Red team: the per-client cap reads the client's address from the socket
// after the connect session has been looked up in the database. A client that
// sends its request and resets the connection at once has no socket left by
// then: its address reads as unknown (null), the per-client cap is skipped,
// and the flow is stored anyway. One address then opens as many flows as the
// per-config cap allows (directly exposed, NANGO_TRUST_PROXY_HOPS=0, the default).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startIdpServer } from '../support/idp-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-redteam-reset-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
const PER_CLIENT = 3;
const ATTEMPTS = 15;

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, issuer } = await startIdpServer({ secretKey: SECRET_KEY, env: { NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'), NANGO_MAX_OPEN_FLOWS_PER_CLIENT: String(PER_CLIENT) } }));
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

/** Sends the request and resets the connection without waiting for any answer. */
function connectAndReset(path: string): Promise<void> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`, () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
}

const openFlows = async () => (await db.query("SELECT count(*)::int AS n FROM oauth_sessions WHERE provider_config_key = 'idp'")).rows[0].n as number;

describe('the per-client cap on open flows', () => {
  it('holds for a client that resets each connection right after sending its request', async () => {
    const created = await fetch(`${server.url}/connect/sessions`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ provider_config_key: 'idp', connection_id: 'attacker-conn' }),
    });
    const { token } = ((await created.json()) as { data: { token: string } }).data;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) await connectAndReset(`/oauth/connect/idp?connect_session_token=${token}`);
    // Let the server finish what the reset requests started.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const addresses = (await db.query("SELECT DISTINCT client_address FROM oauth_sessions WHERE provider_config_key = 'idp'")).rows.map((row) => row.client_address);
    // On main: the attempts are stored with no client address, so none counted against the cap.
    expect(await openFlows()).toBeLessThanOrEqual(PER_CLIENT);
    expect(addresses).not.toContain(null);
  });
});
