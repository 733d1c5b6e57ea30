// The Connect UI in Chromium: the backend creates a connect session, the
// operator's page calls nango.openConnectUI({ sessionToken }), and the end
// user types an API key (or username and password) into the service's page.
// The key is proven by the template's check request against a loopback API:
// a refused key shows the API's refusal and stores nothing; a good one is
// stored, the popup reports to the opener and closes, and the connection
// reads back on every face. The session is single use and bound to its
// connection; the form works by keyboard, without script, in a full tab.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { serveAppPage, type AppPage } from './support/app-page.js';
import { launchChromium } from './support/browser.js';
import { startTestServer, type TestServer } from './support/server.js';

const GOOD_KEY = 'sk-ui-good-0123456789';

function appPage(serverUrl: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>My app</title></head>
<body>
<script type="module">
import Nango from '${serverUrl}/sdk/frontend.js';
const nango = new Nango({ host: '${serverUrl}' });
window.openUi = (sessionToken) => {
  window.outcome = nango.openConnectUI({ sessionToken }).then(
    (result) => ({ ok: true, result }),
    (error) => ({ ok: false, type: error.type, message: error.message }),
  );
};
window.sdkLoaded = true;
</script>
</body></html>`;
}

let server: TestServer;
let api: http.Server;
let appServer: AppPage;
let appUrl: string;
let browser: Browser;
let db: pg.Client;

beforeAll(async () => {
  api = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/models' && req.headers.authorization === `Bearer ${GOOD_KEY}`) return res.end('{"data":[]}');
    if (req.url === '/api/v2/agents/me' && req.headers.authorization === `Basic ${Buffer.from('fd-key:X').toString('base64')}`) return res.end('{"id":1}');
    res.statusCode = 401;
    res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.' } }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { NANGO_SECRET_KEY: 'sk_test_connect_ui_0123456789abcdef' } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await backend(`mutation($a: CreateProviderConfigInput!, $b: CreateProviderConfigInput!) { a: createProviderConfig(input: $a) { key } b: createProviderConfig(input: $b) { key } }`, {
    a: { key: 'openai', provider: 'openai', baseUrl: apiUrl },
    b: { key: 'freshdesk', provider: 'freshdesk', baseUrl: `${apiUrl}/api/v2` },
  });
  expect((await backend(`mutation($c: CreateProviderConfigInput!) { createProviderConfig(input: $c) { key } }`, { c: { key: 'freshdesk-acme', provider: 'freshdesk', baseUrl: `${apiUrl}/api/v2`, params: { subdomain: 'acme' } } })).errors).toBeUndefined();
  expect(created.errors).toBeUndefined();
  appServer = await serveAppPage(() => appPage(server.url));
  appUrl = appServer.url;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await db?.end();
  await appServer?.close();
  await new Promise((resolve) => api?.close(resolve));
  await server?.stop();
});

async function backend(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk_test_connect_ui_0123456789abcdef' },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function session(providerConfigKey: string, connectionId: string): Promise<{ token: string; connectUrl: string }> {
  const body = await backend(`mutation($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { token connectUrl } }`, {
    input: { providerConfigKey, connectionId, endUser: { id: 'u-7', email: 'ada@example.com', displayName: 'Ada' } },
  });
  expect(body.errors).toBeUndefined();
  return body.data.createConnectSession;
}

async function appWithPopup(token: string): Promise<{ page: Page; popup: Page }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(appUrl);
  await page.waitForFunction(() => (window as any).sdkLoaded === true);
  const popup = page.waitForEvent('popup');
  await page.evaluate((sessionToken) => (window as any).openUi(sessionToken), token);
  return { page, popup: await popup };
}

const storedCount = async (key: string, id: string) => (await db.query('SELECT 1 FROM connections WHERE provider_config_key = $1 AND connection_id = $2', [key, id])).rowCount;

describe('the Connect UI for an API key', () => {
  it('shows the API refusal for a wrong key and stores nothing; a good key is stored and reported to the opener', async () => {
    const { token } = await session('openai', 'ui-user');
    const { page, popup } = await appWithPopup(token);
    await popup.waitForLoadState();
    await expect(popup.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connect OpenAI');
    await expect(popup.locator('#end-user').textContent()).resolves.toBe('Ada · ada@example.com');
    await expect(popup.locator('#shared').textContent()).resolves.toContain('Your OpenAI API key will be stored encrypted');

    // By keyboard: the field is reachable with Tab, and Enter submits.
    const field = popup.getByLabel('OpenAI API key');
    await field.focus();
    await popup.keyboard.type('sk-ui-wrong-42');
    await popup.keyboard.press('Enter');
    await popup.waitForSelector('[role="alert"]');
    const alert = await popup.locator('[role="alert"]').textContent();
    expect(alert).toContain('The API refused these credentials (HTTP 401: Incorrect API key provided.)');
    expect(alert).not.toContain('sk-ui-wrong-42');
    await expect(popup.getByLabel('OpenAI API key').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await storedCount('openai', 'ui-user')).toBe(0);

    await popup.getByLabel('OpenAI API key').fill(GOOD_KEY);
    // The outcome page closes the popup at once: listened for before the click.
    const closed = popup.waitForEvent('close', { timeout: 10_000 });
    await popup.getByRole('button', { name: 'Connect OpenAI' }).click();
    await closed;
    expect(await page.evaluate(() => (window as any).outcome)).toEqual({ ok: true, result: { providerConfigKey: 'openai', connectionId: 'ui-user' } });

    // Read back on every face.
    const rest = await fetch(`${server.url}/connection/ui-user?provider_config_key=openai`, { headers: { authorization: 'Bearer sk_test_connect_ui_0123456789abcdef' } });
    expect(((await rest.json()) as { credentials: unknown }).credentials).toEqual({ type: 'API_KEY', apiKey: GOOD_KEY });
    const graphql = await backend(`{ connection(providerConfigKey: "openai", connectionId: "ui-user") { credentials { ... on ApiKeyCredentials { apiKey } } } }`);
    expect(graphql.data.connection.credentials).toEqual({ apiKey: GOOD_KEY });
    expect(await new Nango({ host: server.url, secretKey: 'sk_test_connect_ui_0123456789abcdef' }).getToken('openai', 'ui-user')).toBe(GOOD_KEY);
    const event = await db.query(`SELECT data->'endUser'->>'id' AS "endUser" FROM events WHERE type = 'connection.created' AND connection_id = 'ui-user'`);
    expect(event.rows).toEqual([{ endUser: 'u-7' }]);
  });

  it('works without JavaScript in a full tab, and is single use: the link, used once, stores nothing more', async () => {
    const { token, connectUrl } = await session('openai', 'once-user');
    // Without JavaScript at all: the page is a plain form.
    const first = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await first.goto(connectUrl);
    await first.getByLabel('OpenAI API key').fill(GOOD_KEY);
    // A full tab, no opener: the outcome page tells the person.
    await first.getByRole('button', { name: 'Connect OpenAI' }).click();
    await expect(first.locator('#outcome').textContent()).resolves.toContain('is stored');
    const second = await (await browser.newContext()).newPage();
    const reply = await second.goto(`${server.url}/connect?connect_session_token=${token}`);
    expect(reply?.status()).toBe(401);
    await expect(second.locator('#outcome').textContent()).resolves.toContain('invalid_connect_session');
  });

  it('refuses a form posted without the page it came from (another site, or another browser)', async () => {
    const { connectUrl } = await session('openai', 'csrf-user');
    const forged = await fetch(connectUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ confirm: 'guess', api_key: 'sk-attacker' }) });
    expect(forged.status).toBe(403);
    expect(await storedCount('openai', 'csrf-user')).toBe(0);
  });
});

describe('the Connect UI for Basic credentials', () => {
  it("asks in the API's own terms, with the connection param it needs, and stores them", async () => {
    const { token } = await session('freshdesk', 'fd-user');
    const { page, popup } = await appWithPopup(token);
    await popup.waitForLoadState();
    // Every input has a label; the optional password says so.
    await popup.getByLabel('Subdomain').fill('acme');
    await popup.getByLabel('API key').fill('fd-key');
    await expect(popup.locator('label[for="password"]').textContent()).resolves.toContain('(optional)');
    await popup.getByLabel(/Any value/).fill('X');
    const closed = popup.waitForEvent('close', { timeout: 10_000 });
    await popup.getByRole('button', { name: 'Connect Freshdesk' }).click();
    await closed;
    expect(await page.evaluate(() => (window as any).outcome)).toEqual({ ok: true, result: { providerConfigKey: 'freshdesk', connectionId: 'fd-user' } });
    const read = await backend(`{ connection(providerConfigKey: "freshdesk", connectionId: "fd-user") { connectionConfig credentials { ... on BasicCredentials { username password } } } }`);
    expect(read.data.connection).toEqual({ connectionConfig: { subdomain: 'acme' }, credentials: { username: 'fd-key', password: 'X' } });
  });

  it('does not ask for a param the provider config sets', async () => {
    const { connectUrl } = await session('freshdesk-acme', 'fd-config-user');
    const page = await (await browser.newContext()).newPage();
    await page.goto(connectUrl);
    await expect(page.getByLabel('Subdomain').count()).resolves.toBe(0);
    await page.getByLabel('API key').fill('fd-key');
    await page.getByLabel(/Any value/).fill('X');
    await page.getByRole('button', { name: 'Connect Freshdesk' }).click();
    await expect(page.locator('#outcome').textContent()).resolves.toContain('is stored');
    const read = await backend(`{ connection(providerConfigKey: "freshdesk-acme", connectionId: "fd-config-user") { connectionConfig } }`);
    expect(read.data.connection.connectionConfig).toEqual({ subdomain: 'acme' });
  });
});
