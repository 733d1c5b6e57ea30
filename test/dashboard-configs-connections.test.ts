// The dashboard's provider configs and connections views in Chromium, as an
// operator uses them: signed in with the secret key, they create an oidc config
// from the catalog against a real OpenID provider, invite a user whose connect
// flow finishes in a popup, watch the connection arrive without reloading, find
// it by its end user, open it, refresh it, and revoke and delete it. Each view
// is photographed at 1440 and 360 px wide into test-results/dashboard/.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk_test_dashboard_views_0123456789abcdef';
const SCREENSHOTS = fileURLToPath(new URL('../test-results/dashboard/', import.meta.url));

let server: TestServer;
let issuer: TestIssuer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
const problems: string[] = [];
/** The API's refusals the page received (Chromium logs each as a console error). */
const refusals: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  issuer = await startTestIssuer([`${base}/oauth/callback`]);
  server = await startTestServer({ port, env: { NANGO_SECRET_KEY: SECRET_KEY } });
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => response.status() >= 400 && refusals.push(`${response.status()} ${response.url()}`));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), issuer?.close()]);
});

/** The view at both widths, full page. */
async function photograph(name: string): Promise<void> {
  for (const width of [1440, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Waits for the view whose h1 is this (views render after their data arrives). */
const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();

/** What the backend holds, asked with the secret key (not through the page). */
async function backend(query: string): Promise<any> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return ((await response.json()) as { data: unknown }).data;
}

describe('provider configs and connections in the dashboard', () => {
  jest.setTimeout(60_000);
  it('creates an oidc config from the catalog, showing the callback URL to register', async () => {
    await page.goto(`${base}/dashboard/configs`);
    await page.getByLabel('Secret key').fill(SECRET_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Provider configs');
    await page.getByRole('link', { name: 'Add a provider config from the catalog' }).click();
    await heading('Add a provider config');
    // The view's heading has focus, so a screen reader announces the new view.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');

    await page.getByLabel('Search templates by name').fill('openid');
    await page.getByLabel('Auth mode').selectOption('OAUTH2');
    const template = page.getByRole('button', { name: /^Any OpenID Connect provider/ });
    await template.waitFor();
    await expect(page.getByRole('button', { name: /^Any API taking an API key/ }).count()).resolves.toBe(0);
    await photograph('config-catalog');
    await template.click();

    await expect(page.getByLabel('Callback URL to register at the provider (redirect URI)').inputValue()).resolves.toBe(`${base}/oauth/callback`);
    await expect(page.getByRole('link', { name: /provider's documentation/ }).getAttribute('href')).resolves.toContain('openid.net');
    await expect(page.getByLabel('Scopes').inputValue()).resolves.toBe('openid');
    await page.getByLabel('Key').fill('idp');
    await page.getByLabel('Client id').fill(TEST_CLIENT.client_id);
    await page.getByLabel('Client secret').fill(TEST_CLIENT.client_secret);
    await page.getByLabel('Scopes').fill('openid email');
    // Without the issuer, the service's refusal is shown at that field, tied to it.
    await page.getByRole('button', { name: 'Create provider config' }).click();
    const issuerInput = page.getByLabel('Issuer URL');
    await page.locator('#config-issuer-error').waitFor();
    await expect(issuerInput.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(issuerInput.getAttribute('aria-describedby')).resolves.toContain('config-issuer-error');
    await expect(page.locator('#config-issuer-error').getAttribute('role')).resolves.toBe('alert');
    expect(refusals).toEqual([`400 ${base}/graphql`]);
    await photograph('config-form');
    await issuerInput.fill(issuer.issuer);
    // An oidc config names its API for the proxy itself, and another host the proxy may call.
    await page.getByLabel('Base URL of the API').fill('https://api.example.com/v1');
    await page.getByLabel('Other hosts the proxy may call').fill('uploads.example.com');
    await page.getByRole('button', { name: 'Create provider config' }).click();
    await heading('Provider config idp');
    await photograph('config-edit');

    const { providerConfig } = await backend('{ providerConfig(key: "idp") { provider issuer clientId scopes baseUrl proxyAllowedHosts } }');
    expect(providerConfig).toEqual({
      provider: 'oidc',
      issuer: issuer.issuer,
      clientId: TEST_CLIENT.client_id,
      scopes: ['openid', 'email'],
      baseUrl: 'https://api.example.com/v1',
      proxyAllowedHosts: ['uploads.example.com'],
    });
    // Shown as saved, and cleared by emptying the field.
    await expect(page.getByLabel('Other hosts the proxy may call').inputValue()).resolves.toBe('uploads.example.com');
    await page.getByLabel('Other hosts the proxy may call').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await backend('{ providerConfig(key: "idp") { proxyAllowedHosts } }')).providerConfig.proxyAllowedHosts).toEqual([]);
  });

  it('invites a user, and the connection arrives in the list without a reload, findable by its end user', async () => {
    await page.getByRole('link', { name: 'Connections', exact: true }).click();
    await heading('Connections');
    await page.getByText('No connections match.').waitFor();
    await page.getByText('Live: changes show here as they happen.').first().waitFor();
    await page.getByText('Invite a user to connect').click();
    await page.getByRole('textbox', { name: 'Connection id (required)' }).fill('dash-user');
    await page.getByLabel('End user id (optional)').fill('acct_1');
    await page.getByLabel('End user email (optional)').fill('alice@example.com');
    await page.getByLabel('End user name (optional)').fill('Alice');
    await page.getByRole('button', { name: 'Create the connect link' }).click();
    const link = await page.getByLabel('Connect link').inputValue();
    expect(link).toMatch(new RegExp(`^${base}/oauth/connect/idp\\?`));
    await photograph('connections-invite');

    const popupOpened = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open the connect page here' }).click();
    const popup = await popupOpened;
    await popup.getByRole('button', { name: /^Continue to/ }).click();
    await popup.waitForEvent('close', { timeout: 15_000 });

    // The page was not reloaded: the subscription brought the change.
    const row = page.getByRole('row', { name: /dash-user/ });
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain('Alice · alice@example.com · acct_1');
    await expect(row.textContent()).resolves.toContain('Healthy');
    await photograph('connections');

    await page.getByLabel('Search by connection id or end user').fill('ALICE@');
    await page.getByText('No connections match.').waitFor({ state: 'detached' }).catch(() => undefined);
    await expect(page.getByRole('row', { name: /dash-user/ }).count()).resolves.toBe(1);
    // LIKE's wildcard is only itself: it finds nothing here.
    await page.getByLabel('Search by connection id or end user').fill('%');
    await page.getByText('No connections match.').waitFor();
    await page.getByLabel('Search by connection id or end user').fill('');
    await page.getByLabel('Health').selectOption('NEEDS_REAUTH');
    await page.getByText('No connections match.').waitFor();
    await page.getByLabel('Health').selectOption('HEALTHY');
    await page.getByRole('row', { name: /dash-user/ }).waitFor();
  });

  it('says what deleting the config would delete, and keeps it when asked to', async () => {
    await page.getByRole('link', { name: 'Provider configs' }).click();
    await page.getByRole('button', { name: 'Delete… idp' }).click();
    await expect(page.getByRole('group').textContent()).resolves.toContain('also deletes its 1 connection (their credentials');
    await page.waitForFunction(() => document.activeElement?.textContent === 'Delete idp and 1 connection');
    await photograph('configs');
    await page.getByRole('button', { name: 'Keep it' }).click();
    // Focus goes back to the button that asked.
    await page.waitForFunction(() => document.activeElement?.textContent === 'Delete… idp');
  });

  it("opens the connection, refreshes it without showing a token, and revokes and deletes it", async () => {
    await page.getByRole('link', { name: 'Connections', exact: true }).click();
    await page.getByRole('link', { name: 'dash-user' }).click();
    await heading('Connection dash-user');
    await expect(page.locator('.facts').textContent()).resolves.toContain('Healthy since');
    await expect(page.getByRole('table', { name: 'Events' }).textContent()).resolves.toContain('connection.created');

    const refreshesBefore = issuer.refreshSuccesses;
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Refreshed' }).textContent()).resolves.toMatch(/^Refreshed: the new credentials expire /);
    expect(issuer.refreshSuccesses).toBe(refreshesBefore + 1);
    // The page reads the connection again: its last refresh is now.
    await page.waitForFunction(() => !document.querySelector('.facts')?.textContent?.includes('Last refresh success—'));
    await photograph('connection');

    // No token the service holds is anywhere in the page.
    const { connection } = await backend('{ connection(providerConfigKey: "idp", connectionId: "dash-user") { credentials { ... on OAuth2Credentials { accessToken refreshToken } } } }');
    const html = await page.content();
    for (const token of [connection.credentials.accessToken, connection.credentials.refreshToken]) {
      expect(typeof token).toBe('string');
      expect(html).not.toContain(token);
    }

    const revocationsBefore = issuer.revocations.length;
    await page.getByRole('button', { name: 'Revoke and delete this connection' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Revoked' }).textContent()).resolves.toBe('Revoked at the provider and deleted the connection dash-user.');
    expect(issuer.revocations.length).toBeGreaterThan(revocationsBefore);
    await expect(backend('{ connections { nodes { connectionId } } }')).resolves.toEqual({ connections: { nodes: [] } });
    await page.getByRole('link', { name: 'Back to connections' }).click();
    await page.getByText('No connections match.').waitFor();
    // Chromium logs the refusal of the config without its issuer; nothing else reached the console.
    expect(refusals).toHaveLength(1);
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });
});
