// The dashboard's events, webhooks and overview views in Chromium, signed in
// with the secret key: an event caused through the API arrives in the live
// feed without a reload, and one committed while the service ended the stream
// (subscriber_too_slow) is read after it, once; a webhook endpoint made in the
// page delivers to a real loopback receiver, signed with the secret the page
// showed once, its attempts listed and redelivered; the overview counts
// connections by health and charts the refreshes of a short-lived token.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EVENT_TYPES as DASHBOARD_EVENT_TYPES } from '../clients/dashboard/event-types.js';
import { EVENT_TYPES } from '../server/core/events.js';
import { launchChromium } from './support/browser.js';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, keyedGraphql, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk_test_dashboard_events_0123456789';
const SCREENSHOTS = fileURLToPath(new URL('../test-results/dashboard/', import.meta.url));

let server: TestServer;
let issuer: TestIssuer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  const port = await freePort();
  // Access tokens of two seconds: a read a little later finds the token expired and refreshes it.
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], accessTokenTtlSeconds: 2 });
  // The scheduler off: the refreshes counted are the ones the test causes.
  server = await startTestServer({ port, env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_CONNECT_POLICY: 'open', NANGO_REFRESH_CONCURRENCY: '0' } });
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), issuer?.close()]);
});

/** A GraphQL call with the secret key, as a backend makes it. */
const gql = <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => keyedGraphql(server, SECRET_KEY)<T>(query, variables);

const createApiKeyConfig = (key: string) => gql(`mutation ($key: String!) { createProviderConfig(input: { key: $key, provider: "custom-api-key", baseUrl: "https://api.example.com" }) { key } }`, { key });

/** A signed-in page that records console errors; `path` opened. */
async function openSignedIn(path: string): Promise<{ page: Page; problems: string[] }> {
  context ??= await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}${path}`);
  if (await page.getByLabel('Secret key').isVisible().catch(() => false)) {
    await page.getByLabel('Secret key').fill(SECRET_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('heading', { level: 1 }).waitFor();
  return { page, problems };
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const width of [1440, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const feedItems = (page: Page) => page.locator('.events > li');

describe('the events view', () => {
  it('offers the event types the service writes', () => {
    expect([...DASHBOARD_EVENT_TYPES]).toEqual([...EVENT_TYPES]);
  });

  it('shows an event caused through the API without a reload, and filters by type, config and connection', async () => {
    await createApiKeyConfig('before');
    const { page, problems } = await openSignedIn('/dashboard/events');
    await expect(page.getByRole('status').filter({ hasText: 'Live' }).textContent()).resolves.toContain('Live');
    await expect(feedItems(page).first().textContent()).resolves.toContain('provider_config.created');
    const loaded = await page.evaluate(() => performance.getEntriesByType('navigation').length);

    await createApiKeyConfig('keyed');
    await feedItems(page).filter({ hasText: 'keyed' }).waitFor({ timeout: 10_000 });
    await expect(feedItems(page).first().textContent()).resolves.toMatch(/provider_config\.created.*keyed/s);

    // Only connection.created, of the config "keyed": the next config's event stays out, the connection's comes in.
    await page.getByLabel('Type').selectOption('connection.created');
    await page.getByLabel('Provider config').selectOption('keyed');
    await expect(page.getByRole('status').filter({ hasText: 'Live' }).textContent()).resolves.toContain('Live');
    expect(new URL(page.url()).search).toBe('?type=connection.created&config=keyed');
    await createApiKeyConfig('ignored');
    await gql(`mutation { createConnection(input: { providerConfigKey: "keyed", connectionId: "user-1", apiKey: "key-0123456789" }) { connectionId } }`);
    await feedItems(page).filter({ hasText: 'user-1' }).waitFor({ timeout: 10_000 });
    await expect(feedItems(page).allTextContents()).resolves.toEqual([expect.stringMatching(/connection\.created.*keyed.*user-1/s)]);
    await expect(page.getByRole('link', { name: 'user-1' }).getAttribute('href')).resolves.toBe('/dashboard/connections/keyed/user-1');

    await page.getByLabel('Connection id').fill('nobody');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('log').getByText('No events match this filter').waitFor();
    await page.getByLabel('Connection id').fill('user-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await feedItems(page).filter({ hasText: 'user-1' }).waitFor();

    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Provider config').selectOption('');
    await page.getByLabel('Connection id').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await feedItems(page).filter({ hasText: 'ignored' }).waitFor();
    await screenshots(page, 'events');
    // The same document throughout: no reload.
    await expect(page.evaluate(() => performance.getEntriesByType('navigation').length)).resolves.toBe(loaded);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('reads the events missed while the service ended the stream (subscriber_too_slow), once each, then follows again', async () => {
    let ended = 0;
    let reopened = 0;
    // The feed has an event to read after.
    await createApiKeyConfig('before-the-gap');
    const { page, problems } = await openSignedIn('/dashboard/events');
    await expect(page.getByRole('status').filter({ hasText: 'Live' }).textContent()).resolves.toContain('Live');
    // From now on, the next subscription is ended by the "service" the moment it opens, as a subscriber too slow
    // is, in the service's own words; an event is committed meanwhile. The ones after it go to the service.
    await page.route('**/graphql', async (route) => {
      if (route.request().headers().accept !== 'text/event-stream') return route.continue();
      if (ended > 0) {
        reopened += 1;
        return route.continue();
      }
      ended += 1;
      await createApiKeyConfig('missed');
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: 'event: next\ndata: {"errors":[{"message":"This subscriber fell too far behind; subscribe again and read what was missed with Query.events(after: the last id).","extensions":{"code":"subscriber_too_slow"}}]}\n\nevent: complete\ndata:\n\n',
      });
    });
    // A new filter opens a new subscription (through the route); "missed" is committed before it ends.
    await page.getByLabel('Type').selectOption('provider_config.created');
    await feedItems(page).filter({ hasText: 'missed' }).waitFor({ timeout: 10_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Live' }).textContent()).resolves.toContain('Live');
    expect(ended).toBe(1);
    expect(reopened).toBeGreaterThanOrEqual(1);
    // Then live again, through a real subscription.
    await createApiKeyConfig('after-the-gap');
    await feedItems(page).filter({ hasText: 'after-the-gap' }).waitFor({ timeout: 10_000 });
    const texts = await feedItems(page).allTextContents();
    expect(texts.filter((text) => text.includes('missed'))).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('the webhooks view', () => {
  let receiver: http.Server;
  let receiverUrl: string;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    // Refuses the first delivery (503), takes the rest: a retry to list.
    receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(received.length === 1 ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  const signedWith = (secret: string, delivery: { headers: http.IncomingHttpHeaders; body: string }) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const expected = createHmac('sha256', key).update(`${delivery.headers['webhook-id']}.${delivery.headers['webhook-timestamp']}.${delivery.body}`).digest('base64');
    return String(delivery.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
  };

  it('creates an endpoint showing its secret once, lists a delivery with each attempt, redelivers it, rotates the secret and deletes it', async () => {
    const { page, problems } = await openSignedIn('/dashboard/webhooks');
    await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
    await page.getByLabel('Description (optional)').fill('the test receiver');
    await page.getByLabel('provider_config.created').check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect(page.getByRole('heading', { name: /Endpoint created/ }).evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await screenshots(page, 'webhooks-secret');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect(page.locator('body').textContent()).resolves.not.toContain(secret);

    await createApiKeyConfig('hooked');
    await page.getByRole('link', { name: receiverUrl }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Webhook deliveries');
    // Refused once, delivered on the retry about a second later: the page reads again while it is pending.
    const row = page.locator('.deliveries tbody tr').filter({ hasText: 'provider_config.created' });
    await row.filter({ hasText: 'Delivered' }).waitFor({ timeout: 20_000 });
    await expect(row.locator('.attempts li').allTextContents()).resolves.toEqual([expect.stringContaining('HTTP 503'), expect.stringContaining('HTTP 200')]);
    expect(received).toHaveLength(2);
    expect(signedWith(secret, received[1]!)).toBe(true);
    expect(JSON.parse(received[1]!.body)).toMatchObject({ type: 'provider_config.created', data: { providerConfigKey: 'hooked' } });
    await screenshots(page, 'webhook-deliveries');

    await row.getByRole('button', { name: /^Redeliver/ }).click();
    await expect(page.getByRole('status').filter({ hasText: 'again' }).textContent()).resolves.toMatch(/Sent provider_config\.created again: HTTP 200/);
    await row.locator('.attempts li').nth(2).waitFor();
    expect(received).toHaveLength(3);
    expect(received[2]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);

    await page.getByRole('link', { name: 'All endpoints' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    const rotated = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await createApiKeyConfig('hooked-again');
    for (const started = Date.now(); received.length < 4 && Date.now() - started < 10_000; ) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(4);
    expect(signedWith(rotated, received[3]!)).toBe(true);
    expect(signedWith(secret, received[3]!)).toBe(false);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Deleted' }).textContent()).resolves.toBe(`Deleted ${receiverUrl}.`);
    await page.getByText('No endpoints yet.').waitFor();
    await expect(gql('{ webhookEndpoints { id } }')).resolves.toEqual({ webhookEndpoints: [] });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('the overview', () => {
  it('counts connections by health and charts the refreshes and failures of the last hour', async () => {
    await gql(`mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }`, {
      input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
    });
    // What the tests before left (an API key connection): the overview adds to it.
    const { connectionCounts } = await gql<{ connectionCounts: Array<{ health: string; count: number }> }>('{ connectionCounts { health count } }');
    const healthy = connectionCounts.find((entry) => entry.health === 'HEALTHY')!.count;
    const { page, problems } = await openSignedIn('/');
    const count = (health: string) => page.locator(`.count-value[data-health="${health}"]`).textContent();
    const total = (chart: string) => page.locator(`#${chart}-title .chart-total`).getAttribute('data-total');
    await expect(count('HEALTHY')).resolves.toBe(String(healthy));
    await expect(total('chart-succeeded')).resolves.toBe('0');

    for (const user of ['short-lived', 'revoked']) {
      const flow = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=${user}`);
      expect(flow.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    }
    // The two-second token has expired: each read refreshes it.
    const read = () => gql(`{ connection(providerConfigKey: "idp", connectionId: "short-lived") { credentials { ... on OAuth2Credentials { expiresAt } } } }`);
    for (let refreshes = 0; refreshes < 2; refreshes++) {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await read();
    }
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    const { rows } = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'revoked'`).finally(() => db.end());
    await issuer.revoke(JSON.parse(rows[0].credentials).refreshToken);
    await expect(gql(`{ connection(providerConfigKey: "idp", connectionId: "revoked") { credentials(forceRefresh: true) { __typename } } }`)).rejects.toThrow();

    // Away and back through the navigation: the overview reads again, no reload.
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect(count('HEALTHY')).resolves.toBe(String(healthy + 1));
    await expect(count('NEEDS_REAUTH')).resolves.toBe('1');
    await expect(count('REFRESH_FAILING')).resolves.toBe('0');
    await expect(total('chart-succeeded')).resolves.toBe('2');
    await expect(total('chart-failed')).resolves.toBe('1');
    // The bars: one minute (or two, across a minute's turn) with refreshes, and the failure's.
    expect(await page.locator('.bars-ok rect').count()).toBeGreaterThanOrEqual(1);
    await expect(page.locator('.bars-bad rect').count()).resolves.toBe(1);
    await expect(page.locator('#chart-succeeded-title').locator('..').locator('svg').getAttribute('aria-label')).resolves.toMatch(/^Refreshes: 2 refreshes in the last 60 minutes/);
    await expect(page.locator('.facts').textContent()).resolves.toContain('Answering');
    await screenshots(page, 'overview');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
