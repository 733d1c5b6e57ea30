// axe-core on every dashboard view (the sign-in page, the overview, provider
// configs, connections, events, webhooks and an endpoint's deliveries), each
// with data in it, at 1440 and 360 px wide, in the light and the dark scheme:
// no serious or critical violation. The page's CSP refuses injected scripts,
// so the axe runs alone use a context that bypasses it.
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { keyedGraphql, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk_test_dashboard_axe_0123456789abcdef';
const AXE = fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url));
const WIDTHS = [1440, 360];
const SCHEMES = ['light', 'dark'] as const;

let server: TestServer;
let browser: Browser;
let receiver: http.Server;
let endpointId: string;

/** A GraphQL call with the secret key, as a backend makes it. */
const gql = <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => keyedGraphql(server, SECRET_KEY)<T>(query, variables);

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_REFRESH_CONCURRENCY: '0' } });
  browser = await launchChromium();
  // Something in every view: an endpoint with a delivery (refused, so it has an attempt and stays pending), configs, a connection, their events.
  receiver = http.createServer((_request, response) => response.writeHead(500).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const created = await gql(`mutation ($url: String!) { createWebhookEndpoint(input: { url: $url }) { id } }`, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  endpointId = created.createWebhookEndpoint.id;
  await gql(`mutation { createProviderConfig(input: { key: "keyed", provider: "custom-api-key", baseUrl: "https://api.example.com" }) { key } }`);
  await gql(`mutation { createConnection(input: { providerConfigKey: "keyed", connectionId: "user-1", apiKey: "key-0123456789" }) { connectionId } }`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe's serious and critical violations on the page as it is now, in words a failure can show. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(async () => (await (window as any).axe.run(document, { resultTypes: ['violations'] })).violations)) as Violation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** Waits for the view to have its data: its heading, nothing loading, and the feed live where there is one. */
async function settled(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]') && !document.querySelector('.feed-loading'));
}

const VIEWS = () => [
  { name: 'overview', path: '/' },
  { name: 'provider configs', path: '/dashboard/configs' },
  { name: 'connections', path: '/dashboard/connections' },
  { name: 'events', path: '/dashboard/events' },
  { name: 'webhooks', path: '/dashboard/webhooks' },
  { name: 'webhook deliveries', path: `/dashboard/webhooks/${endpointId}` },
];

describe('the dashboard, checked by axe-core', () => {
  for (const colorScheme of SCHEMES) {
    for (const width of WIDTHS) {
      it(`has no serious or critical violation in any view at ${width} px, ${colorScheme}`, async () => {
        const context = await browser.newContext({ bypassCSP: true, viewport: { width, height: 900 }, colorScheme });
        const page = await context.newPage();
        const found: Record<string, string[]> = {};
        await page.goto(`${server.url}/`);
        await page.getByLabel('Secret key').waitFor();
        found['sign-in'] = await seriousViolations(page);
        // A refused key: the page with its error shown.
        await page.getByLabel('Secret key').fill('not-the-key');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').waitFor();
        found['sign-in, refused'] = await seriousViolations(page);
        await page.getByLabel('Secret key').fill(SECRET_KEY);
        await page.getByRole('button', { name: 'Sign in' }).click();
        for (const view of VIEWS()) {
          await page.goto(`${server.url}${view.path}`);
          await settled(page);
          found[view.name] = await seriousViolations(page);
        }
        await context.close();
        expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
      }, 90_000);
    }
  }
});
