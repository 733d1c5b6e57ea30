// Visitors cannot grow what the server keeps: flows in progress are capped per
// client and per config, expired flows and sessions are swept, and made-up
// config keys add no metric series. Against the public-key policy, where a
// visitor holding only the public key may open flows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { connectFetch, walkFlow } from '../support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-flood-0123456789abcdef';
const PUBLIC_KEY = 'pk-flood-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
const PER_CLIENT = 5;
const PER_CONFIG = 8;

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  server = await startTestServer({
    port,
    env: {
      NANGO_SECRET_KEY: SECRET_KEY,
      NANGO_PUBLIC_KEY: PUBLIC_KEY,
      NANGO_CONNECT_POLICY: 'public-key',
      NANGO_MAX_OPEN_FLOWS_PER_CLIENT: String(PER_CLIENT),
      NANGO_MAX_OPEN_FLOWS_PER_CONFIG: String(PER_CONFIG),
      // One load balancer in front: the client is the address it appends to X-Forwarded-For.
      NANGO_TRUST_PROXY_HOPS: '1',
    },
  });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  for (const key of ['idp', 'other']) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({
        query: 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
        variables: { input: { key, provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } },
      }),
    });
    expect(response.status).toBe(200);
  }
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

async function connect(key: string, connectionId: string, client: string): Promise<{ status: number; code: string | undefined }> {
  const response = await connectFetch(`${server.url}/oauth/connect/${key}?connection_id=${connectionId}&public_key=${PUBLIC_KEY}`, {
    redirect: 'manual',
    // A forged left-hand entry, as a client may send: only the proxy's own entry counts.
    headers: { 'x-forwarded-for': `10.9.9.9, ${client}` },
  });
  const html = await response.text();
  return { status: response.status, code: /"type":"([a-z_]+)"/.exec(html)?.[1] };
}

const openFlows = async () => (await db.query('SELECT count(*)::int AS n FROM oauth_sessions')).rows[0].n as number;

describe('flows in progress', () => {
  it('are capped per client address: the next one answers 429 too_many_flows and stores nothing', async () => {
    for (let index = 0; index < PER_CLIENT; index++) expect((await connect('idp', `c-${index}`, '198.51.100.1')).status).toBe(302);
    const before = await openFlows();
    expect(await connect('idp', 'c-over', '198.51.100.1')).toEqual({ status: 429, code: 'too_many_flows' });
    expect(await openFlows()).toBe(before);
    // Another client is not held back by the first one's flows.
    expect((await connect('idp', 'd-0', '198.51.100.2')).status).toBe(302);
  });

  it('are capped per config, whatever the number of addresses', async () => {
    const answers = [];
    for (let index = 0; index < PER_CONFIG; index++) answers.push((await connect('idp', `many-${index}`, `203.0.113.${index + 1}`)).status);
    expect(answers.filter((status) => status === 429)).not.toHaveLength(0);
    expect(await db.query("SELECT count(*)::int AS n FROM oauth_sessions WHERE provider_config_key = 'idp'").then((result) => result.rows[0].n)).toBe(PER_CONFIG);
    expect(await connect('idp', 'many-over', '203.0.113.200')).toEqual({ status: 429, code: 'too_many_flows' });
    // Another config keeps working.
    expect((await connect('other', 'o-0', '203.0.113.201')).status).toBe(302);
  });

  it('are swept once expired, which frees the cap', async () => {
    await db.query("UPDATE oauth_sessions SET expires_at = now() - interval '1 second'");
    expect((await connect('idp', 'after-expiry', '198.51.100.1')).status).toBe(302);
    expect(await openFlows()).toBe(1);
  });
});

describe('connect sessions', () => {
  it('are swept once expired, when the next one is created', async () => {
    const create = () =>
      fetch(`${server.url}/connect/sessions`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ provider_config_key: 'idp', connection_id: 'swept' }) });
    expect((await create()).status).toBe(201);
    await db.query("UPDATE connect_sessions SET expires_at = now() - interval '1 second'");
    expect((await create()).status).toBe(201);
    expect((await db.query('SELECT count(*)::int AS n FROM connect_sessions')).rows[0].n).toBe(1);
  });
});

describe('metrics', () => {
  it('gain no series from made-up config keys', async () => {
    const metrics = async () => (await fetch(`${server.url}/metrics`, { headers: AUTH })).text();
    const before = (await metrics()).length;
    for (let index = 0; index < 300; index++) {
      const response = await connectFetch(`${server.url}/oauth/connect/made-up-${index}?connection_id=x&public_key=${PUBLIC_KEY}`, { redirect: 'manual', headers: { 'x-forwarded-for': `192.0.2.${index % 250}` } });
      expect(response.status).toBe(404);
    }
    const after = await metrics();
    expect(after).not.toContain('made-up');
    expect(after).toContain('nango_oauth_flows_total{event="failed",provider_config_key="unknown"} 300');
    // The request histogram is by route pattern (a new status adds one series of a dozen buckets); the flows
    // counter gained one series, not 300 (which would be some 30 KB).
    expect(after.length - before).toBeLessThan(8_000);
  });
});

describe('the flow client', () => {
  it('still completes a flow under the caps', async () => {
    const done = await walkFlow(`${server.url}/oauth/connect/other?connection_id=completes&public_key=${PUBLIC_KEY}`);
    expect(done.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  });
});
