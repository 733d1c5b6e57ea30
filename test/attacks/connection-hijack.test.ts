// Attacks on whose connection a flow writes, against servers with the secret
// key, the public key and encryption on, and a real oidc-provider where the
// attacker and the victim each have an account. Each attack must fail and
// change nothing: the victim's connection keeps the victim's tokens.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { openConnect, walkFlow, type CookieJar } from '../support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from '../support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-attacks-0123456789abcdef';
const PUBLIC_KEY = 'pk-attacks-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

/** The default with a secret key (`session`), and Nango 0.x's frontends (`public-key`). */
let sessions: TestServer;
let publicKey: TestServer;
let issuer: TestIssuer;
let browser: Browser;

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
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([sessions?.stop(), publicKey?.stop(), issuer?.close()]);
});

async function backend(server: TestServer, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function connectSession(server: TestServer, connectionId: string, providerConfigKey = 'idp'): Promise<{ token: string; connectUrl: string }> {
  const created = await backend(server, 'mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { token connectUrl } }', {
    input: { providerConfigKey, connectionId, endUser: { id: `user-of-${connectionId}` } },
  });
  expect(created.errors).toBeUndefined();
  return created.data.createConnectSession;
}

/** Who the provider says the stored tokens belong to, and the raw row (to prove nothing changed). */
async function storedConnection(server: TestServer, connectionId: string): Promise<{ row: Record<string, unknown> | undefined; subject: string | null }> {
  const db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT credentials, updated_at, connection_config FROM connections WHERE provider_config_key = $1 AND connection_id = $2', ['idp', connectionId]);
    if (!rows[0]) return { row: undefined, subject: null };
    const response = await fetch(`${server.url}/connection/${connectionId}?provider_config_key=idp`, { headers: AUTH });
    const { credentials } = (await response.json()) as { credentials: { access_token: string } };
    const token = await issuer.provider.AccessToken.find(credentials.access_token);
    return { row: rows[0], subject: token?.accountId ?? null };
  } finally {
    await db.end();
  }
}

async function connectAs(account: string, url: string, jar?: CookieJar) {
  issuer.accountId = account;
  return walkFlow(url, { jar });
}

describe.each([
  ['session', () => sessions],
  ['public-key', () => publicKey],
] as const)('under the %s connect policy', (_policy, server) => {
  beforeAll(async () => {
    // The victim connects through the backend's session (the only way to re-authorize under both policies).
    const done = await connectAs('victim', (await connectSession(server(), 'victim-conn')).connectUrl);
    expect(done.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await storedConnection(server(), 'victim-conn')).subject).toBe('victim');
  });

  it("does not let a visitor holding only the public key overwrite someone else's connection", async () => {
    const before = await storedConnection(server(), 'victim-conn');
    const attack = await connectAs('attacker', `${server().url}/oauth/connect/idp?connection_id=victim-conn&public_key=${PUBLIC_KEY}`);
    expect(attack.status).toBe(401);
    expect(attack.message?.data.error.type).toBe('connect_session_required');
    expect(await storedConnection(server(), 'victim-conn')).toEqual(before);
  });

  it("does not let a connect session for the attacker's own connection write the victim's", async () => {
    const before = await storedConnection(server(), 'victim-conn');
    const own = await connectSession(server(), 'attacker-conn');
    for (const url of [
      `${server().url}/oauth/connect/idp?connection_id=victim-conn&connect_session_token=${own.token}`,
      `${server().url}/oauth/connect/idp?connection_id=victim-conn&connect_session_token=${own.token}&public_key=${PUBLIC_KEY}`,
    ]) {
      const attack = await connectAs('attacker', url);
      expect(attack.status).toBe(401);
      expect(attack.message?.data.error.type).toBe('invalid_connect_session');
    }
    expect(await storedConnection(server(), 'victim-conn')).toEqual(before);
  });

  it('stores nothing from a second flow opened with a session another flow has completed', async () => {
    const session = await connectSession(server(), 'twice-conn');
    // Two popups opened with the same session: the first to finish consumes it.
    const first = await openConnect(session.connectUrl);
    const second = await openConnect(session.connectUrl);
    expect((await connectAs('victim', first.location.toString(), first.jar)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const before = await storedConnection(server(), 'twice-conn');
    const late = await connectAs('attacker', second.location.toString(), second.jar);
    expect(late.message?.data.error.type).toBe('invalid_connect_session');
    expect(await storedConnection(server(), 'twice-conn')).toEqual(before);
    expect(before.subject).toBe('victim');
    // And the consumed session opens no new flow.
    expect((await walkFlow(session.connectUrl)).message?.data.error.type).toBe('invalid_connect_session');
  });

  it("refuses a flow bound to another browser: a provider URL sent to the victim stores the victim's account nowhere (login CSRF)", async () => {
    // The attacker starts a flow for a connection of their own and stops at the provider's URL.
    const attackerFlow = await openConnect((await connectSession(server(), 'csrf-conn')).connectUrl);
    // The victim opens it in their own browser, logged in at the provider as themselves.
    issuer.accountId = 'victim';
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(attackerFlow.location.toString());
      await page.waitForURL(/\/oauth\/callback/);
      await expect(page.locator('#outcome').textContent()).resolves.toContain('invalid_state');
    } finally {
      await context.close();
    }
    expect((await storedConnection(server(), 'csrf-conn')).row).toBeUndefined();
    // The flow stays the attacker's to finish, in the attacker's browser only.
    const own = await connectAs('attacker', attackerFlow.location.toString(), attackerFlow.jar);
    expect(own.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await storedConnection(server(), 'csrf-conn')).subject).toBe('attacker');
  });
});

describe('the public-key policy (Nango 0.x frontends)', () => {
  it('lets the public key create a connection that does not exist yet', async () => {
    const created = await connectAs('newcomer', `${publicKey.url}/oauth/connect/idp?connection_id=new-conn&public_key=${PUBLIC_KEY}`);
    expect(created.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await storedConnection(publicKey, 'new-conn')).subject).toBe('newcomer');
  });

  it('keeps the first of two public-key flows racing for the same new connection, and stores nothing from the second', async () => {
    const urls = [0, 1].map(() => `${publicKey.url}/oauth/connect/idp?connection_id=raced-conn&public_key=${PUBLIC_KEY}`);
    const [victimFlow, attackerFlow] = await Promise.all(urls.map((url) => openConnect(url)));
    expect((await connectAs('victim', victimFlow!.location.toString(), victimFlow!.jar)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const before = await storedConnection(publicKey, 'raced-conn');
    const late = await connectAs('attacker', attackerFlow!.location.toString(), attackerFlow!.jar);
    expect(late.message?.data.error.type).toBe('connect_session_required');
    expect(await storedConnection(publicKey, 'raced-conn')).toEqual(before);
  });
});

describe('the production path: the backend creates a session, the page passes it to the frontend SDK', () => {
  it('connects from a real browser with auth(configKey, connectionId, { sessionToken })', async () => {
    const session = await connectSession(sessions, 'sdk-conn');
    issuer.accountId = 'sdk-user';
    const context = await browser.newContext();
    let closeApp = () => Promise.resolve();
    try {
      const page = await context.newPage();
      // The operator's page, on its own origin, importing the SDK from the server.
      const app = http.createServer((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<!doctype html><button id="connect">Connect</button><script type="module">
            import Nango from '${sessions.url}/sdk/frontend.js';
            document.querySelector('#connect').addEventListener('click', () => {
              window.outcome = new Nango({ host: '${sessions.url}' }).auth('idp', 'sdk-conn', { sessionToken: '${session.token}' })
                .then((result) => ({ ok: true, result }), (error) => ({ ok: false, type: error.type }));
            });
            window.sdkLoaded = true;
          </script>`);
      });
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      closeApp = () => new Promise((resolve) => app.close(() => resolve()));
      await page.goto(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as unknown as { sdkLoaded?: boolean }).sdkLoaded === true);
      const popup = page.waitForEvent('popup');
      await page.click('#connect');
      // The popup names whose connection this is; the end user clicks Continue.
      const window = await popup;
      // Waited for before the click: the whole flow may end (and the popup close) while the click settles.
      const closed = window.waitForEvent('close', { timeout: 15_000 });
      await window.locator('#nango-confirm button').click();
      await closed;
      expect(await page.evaluate(() => (window as unknown as { outcome: Promise<unknown> }).outcome)).toEqual({ ok: true, result: { providerConfigKey: 'idp', connectionId: 'sdk-conn' } });
    } finally {
      await context.close();
      await closeApp();
    }
    expect((await storedConnection(sessions, 'sdk-conn')).subject).toBe('sdk-user');
  });
});

/** A form posted to the connect URL from the attacker's page: a cross-site POST, which carries no SameSite=Strict cookie. */
async function forgedConfirmation(url: string) {
  const response = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://attacker.example' }, body: 'confirm=guessed' });
  const html = await response.text();
  return { status: response.status, type: /"type":"([a-z_]+)"/.exec(html)?.[1] };
}

// Found by the red team: the browser binding moved login CSRF one hop back, to
// a connect link the attacker made for their own connection and forwarded (a
// connect link is a bearer link). Now nothing is written until the person who
// opened it clicks Continue on a page naming whose connection it is
// (server/http/confirm-page.ts), and that click cannot be forged from another
// site. A victim who reads the page and closes it stores nothing.
describe('a connect link forwarded to a victim', () => {
  it('under `session`: the page names the attacker, and nothing is stored unless the victim clicks Continue there', async () => {
    const created = await backend(sessions, 'mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }', {
      input: { providerConfigKey: 'idp', connectionId: 'forwarded-conn', endUser: { id: 'attacker', email: 'attacker@example.com' } },
    });
    expect(created.errors).toBeUndefined();
    const connectUrl = created.data.createConnectSession.connectUrl as string;
    issuer.accountId = 'victim';
    const opened = await walkFlow(connectUrl, { confirm: false });
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('attacker@example.com');
    expect(opened.visited).toEqual([connectUrl]);
    expect((await storedConnection(sessions, 'forwarded-conn')).row).toBeUndefined();
    // Nor can the attacker's own page click for the victim.
    expect(await forgedConfirmation(connectUrl)).toEqual({ status: 403, type: 'confirmation_required' });
    expect((await storedConnection(sessions, 'forwarded-conn')).row).toBeUndefined();
  });

  it('under `public-key`: the page names the connection, and a click forged from another site is refused', async () => {
    issuer.accountId = 'victim';
    const url = `${publicKey.url}/oauth/connect/idp?connection_id=attacker-user-42&public_key=${PUBLIC_KEY}`;
    const opened = await walkFlow(url, { confirm: false });
    expect(opened.html).toContain('attacker-user-42');
    expect(await forgedConfirmation(url)).toEqual({ status: 403, type: 'confirmation_required' });
    expect((await storedConnection(publicKey, 'attacker-user-42')).row).toBeUndefined();
  });
});
