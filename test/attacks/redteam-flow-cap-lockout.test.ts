// Red team: the per-config cap on open flows is one pool shared by every end
// user, and a connect session opens flows without a limit of its own. Under the
// production policy (`session`), one end user holding one session of their own,
// from a few addresses, fills the pool; every other end user's valid session
// then gets 429 too_many_flows until the flows expire (10 minutes, renewable).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { startIdpServer } from '../support/idp-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { TestServer } from '../support/server.js';
import { connectFetch } from '../support/flow-client.js';

const SECRET_KEY = 'sk-redteam-cap-0123456789abcdef';
const PUBLIC_KEY = 'pk-redteam-cap-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
// The defaults' ratio (1000 per config, 30 per client: 34 addresses), scaled down to keep the test quick.
const PER_CLIENT = 5;
const PER_CONFIG = 20;

let server: TestServer;
let issuer: TestIssuer;

beforeAll(async () => {
  ({ server, issuer } = await startIdpServer({ secretKey: SECRET_KEY, env: {
      NANGO_PUBLIC_KEY: PUBLIC_KEY,
      NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      NANGO_CONNECT_POLICY: 'session',
      NANGO_MAX_OPEN_FLOWS_PER_CLIENT: String(PER_CLIENT),
      NANGO_MAX_OPEN_FLOWS_PER_CONFIG: String(PER_CONFIG),
      NANGO_TRUST_PROXY_HOPS: '1',
    } }));
});
afterAll(async () => {
  await Promise.all([server?.stop(), issuer?.close()]);
});

/** What the backend does for a logged-in end user who clicks "Connect". */
async function sessionFor(connectionId: string): Promise<string> {
  const response = await fetch(`${server.url}/connect/sessions`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ provider_config_key: 'idp', connection_id: connectionId }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { token: string } }).data.token;
}

async function connect(token: string, client: string): Promise<number> {
  const response = await connectFetch(`${server.url}/oauth/connect/idp?connect_session_token=${token}`, {
    redirect: 'manual',
    // Behind one proxy (NANGO_TRUST_PROXY_HOPS=1): the proxy's entry is the client's real address.
    headers: { 'x-forwarded-for': client },
  });
  await response.arrayBuffer();
  return response.status;
}

describe('open flows of one connect session', () => {
  it("do not lock every other end user out of the config (one user's session fills the shared per-config cap)", async () => {
    // A malicious end user of the operator's product asks for one session, for their own connection.
    const attackerToken = await sessionFor('attacker-conn');
    let opened = 0;
    for (let address = 1; address <= PER_CONFIG / PER_CLIENT; address++) {
      for (let flow = 0; flow < PER_CLIENT; flow++) if ((await connect(attackerToken, `203.0.113.${address}`)) === 302) opened++;
    }
    // One session opens a few flows (its own cap), not the config's whole share.
    expect(opened).toBe(5);
    expect(await connect(attackerToken, '203.0.113.99')).toBe(429);
    // A different end user, with a valid session of their own, from their own address.
    const victimToken = await sessionFor('victim-conn');
    expect(await connect(victimToken, '198.51.100.7')).toBe(302);
  });
});
