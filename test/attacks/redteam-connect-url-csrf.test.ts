// Red team: login CSRF one hop earlier. The flow is bound to the browser that
// opens /oauth/connect, so a provider URL sent to a victim stores nothing
// (connection-hijack.test.ts). But the connect URL itself is a bearer link:
// an attacker (an end user of the operator's product) forwards the connectUrl
// of a session the backend made for the attacker's own connection, or, under
// `public-key`, a public-key connect URL for an id the attacker's account uses.
// The victim's browser opens it, binds the flow to itself, the victim logs in
// at the provider (or is waved through, having consented to this app before),
// and the victim's provider account is stored under the attacker's connection,
// which the attacker's account in the product then uses.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { walkFlow } from '../support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-redteam-csrf-0123456789abcdef';
const PUBLIC_KEY = 'pk-redteam-csrf-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

let sessions: TestServer;
let publicKey: TestServer;
let issuer: TestIssuer;

async function startAttackedServer(port: number, policy: 'session' | 'public-key'): Promise<TestServer> {
  const server = await startTestServer({
    port,
    env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_PUBLIC_KEY: PUBLIC_KEY, NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64'), NANGO_CONNECT_POLICY: policy },
  });
  const created = await backend(server, 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid', 'offline_access'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
  return server;
}

beforeAll(async () => {
  const [sessionPort, publicKeyPort] = [await freePort(), await freePort()];
  issuer = await startTestIssuer([sessionPort, publicKeyPort].map((port) => `http://localhost:${port}/oauth/callback`));
  sessions = await startAttackedServer(sessionPort, 'session');
  publicKey = await startAttackedServer(publicKeyPort, 'public-key');
}, 60_000);
afterAll(async () => {
  await Promise.all([sessions?.stop(), publicKey?.stop(), issuer?.close()]);
});

async function backend(server: TestServer, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
}

/** The provider account whose tokens the connection holds, or null when there is none. */
async function subjectOf(server: TestServer, connectionId: string): Promise<string | null> {
  const db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT 1 FROM connections WHERE provider_config_key = $1 AND connection_id = $2', ['idp', connectionId]);
    if (!rows[0]) return null;
  } finally {
    await db.end();
  }
  const response = await fetch(`${server.url}/connection/${connectionId}?provider_config_key=idp`, { headers: AUTH });
  const { credentials } = (await response.json()) as { credentials: { access_token: string } };
  return (await issuer.provider.AccessToken.find(credentials.access_token))?.accountId ?? null;
}

/** A form posted to the connect URL from the attacker's page: a cross-site POST, which carries no SameSite=Strict cookie. */
async function forgedConfirmation(url: string) {
  const response = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://attacker.example' }, body: 'confirm=guessed' });
  const html = await response.text();
  return { status: response.status, type: /"type":"([a-z_]+)"/.exec(html)?.[1] };
}

// A connect link is a bearer link: the defence is that nothing is written until
// the person who opened it clicks Continue on a page naming whose connection it
// is (server/http/confirm-page.ts), and that the click cannot be forged from
// another site. A victim who reads the page and closes it stores nothing.
describe('a connect URL forwarded to a victim', () => {
  it("under `session`: the page names the attacker, and nothing is stored unless the victim clicks Continue there", async () => {
    // The backend creates a session for the attacker, a logged-in end user, for the attacker's own connection.
    const created = await backend(sessions, 'mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }', {
      input: { providerConfigKey: 'idp', connectionId: 'attacker-conn', endUser: { id: 'attacker', email: 'attacker@example.com' } },
    });
    expect(created.errors).toBeUndefined();
    const connectUrl = created.data.createConnectSession.connectUrl as string;
    // The attacker never opens it, and sends it to the victim ("connect your account here").
    issuer.accountId = 'victim';
    const opened = await walkFlow(connectUrl, { confirm: false });
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('attacker@example.com');
    expect(opened.visited).toEqual([connectUrl]);
    expect(await subjectOf(sessions, 'attacker-conn')).toBeNull();
    // Nor can the attacker's own page click for the victim.
    expect(await forgedConfirmation(connectUrl)).toEqual({ status: 403, type: 'confirmation_required' });
    expect(await subjectOf(sessions, 'attacker-conn')).toBeNull();
  });

  it("under `public-key`: the page names the connection, and a click forged from another site is refused", async () => {
    issuer.accountId = 'victim';
    const url = `${publicKey.url}/oauth/connect/idp?connection_id=attacker-user-42&public_key=${PUBLIC_KEY}`;
    const opened = await walkFlow(url, { confirm: false });
    expect(opened.html).toContain('attacker-user-42');
    expect(await forgedConfirmation(url)).toEqual({ status: 403, type: 'confirmation_required' });
    expect(await subjectOf(publicKey, 'attacker-user-42')).toBeNull();
  });
});
