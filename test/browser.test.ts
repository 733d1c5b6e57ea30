import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { serveAppPage, type AppPage } from './support/app-page.js';
import { launchChromium } from './support/browser.js';
import { runNango } from './support/cli.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

// A user's web page on its own origin, importing the SDK from the server as in the quick start.
function appPage(serverUrl: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>My app</title></head>
<body>
<button id="connect">Connect</button>
<pre id="outcome"></pre>
<script type="module">
import Nango from '${serverUrl}/sdk/frontend.js';
const nango = new Nango({ host: '${serverUrl}' });
window.connect = (configKey, connectionId, options) =>
  nango.auth(configKey, connectionId, options).then(
    (result) => ({ ok: true, result }),
    (error) => ({ ok: false, type: error.type, message: error.message, legacyType: error.error && error.error.type }),
  );
document.querySelector('#connect').addEventListener('click', () => {
  window.outcome = window.connect('idp', document.body.dataset.connectionId || 'browser-user');
});
window.sdkLoaded = true;
</script>
</body></html>`;
}

let server: TestServer;
let issuer: TestIssuer;
let appServer: AppPage;
let appUrl: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  server = await startTestServer({ port });
  const created = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid', 'email'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
  appServer = await serveAppPage(() => appPage(server.url));
  appUrl = appServer.url;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await appServer?.close();
  await Promise.all([server?.stop(), issuer?.close()]);
});

beforeEach(async () => {
  issuer.decision = 'approve';
  page = await (await browser.newContext()).newPage();
  await page.goto(appUrl);
  await page.waitForFunction(() => (window as any).sdkLoaded === true);
});

async function clickConnect(connectionId: string) {
  await page.evaluate((id) => {
    document.body.dataset.connectionId = id;
  }, connectionId);
  const popup = page.waitForEvent('popup');
  await page.click('#connect');
  return popup;
}

const outcome = () => page.evaluate(() => (window as any).outcome);

describe('the popup flow in Chromium', () => {
  it('connects: the popup walks through the provider, closes, and the promise resolves', async () => {
    const popup = await clickConnect('browser-user');
    await popup.waitForEvent('close', { timeout: 15_000 });
    expect(await outcome()).toEqual({ ok: true, result: { providerConfigKey: 'idp', connectionId: 'browser-user' } });

    const read = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "browser-user") { connectionId provider } }');
    expect(read.data.connection).toEqual({ connectionId: 'browser-user', provider: 'oidc' });

    const listed = await runNango(['connection:list', '--json'], { NANGO_HOSTPORT: server.url });
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ connectionId: 'browser-user', providerConfigKey: 'idp' }));
  });

  it('connects twice in a row from the same page', async () => {
    for (const id of ['first-in-row', 'second-in-row']) {
      const popup = await clickConnect(id);
      await popup.waitForEvent('close', { timeout: 15_000 });
      expect(await outcome()).toEqual({ ok: true, result: { providerConfigKey: 'idp', connectionId: id } });
    }
  });

  it('rejects with access_denied when the end user refuses consent', async () => {
    issuer.decision = 'deny';
    const popup = await clickConnect('denied-user');
    await popup.waitForEvent('close', { timeout: 15_000 });
    expect(await outcome()).toMatchObject({ ok: false, type: 'access_denied', legacyType: 'access_denied' });
    const read = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "denied-user") { connectionId } }');
    expect(read.errors?.[0]?.extensions?.code).toBe('unknown_connection');
  });

  it('rejects with authorization_cancelled when the end user closes the popup', async () => {
    issuer.decision = 'hold';
    const popup = await clickConnect('closing-user');
    await popup.waitForURL(/\/interaction\//);
    await popup.close();
    expect(await outcome()).toMatchObject({ ok: false, type: 'authorization_cancelled' });
  });

  it('ignores a success message from any origin but the server', async () => {
    issuer.decision = 'hold';
    const popup = await clickConnect('spoofed-user');
    await popup.waitForURL(/\/interaction\//);
    // The app page's own origin (and so any other script there) forges the server's message.
    await page.evaluate(() =>
      window.postMessage({ eventType: 'AUTHORIZATION_SUCEEDED', data: { connectionId: 'spoofed-user', providerConfigKey: 'idp' } }, '*'),
    );
    await page.waitForTimeout(300);
    await popup.close();
    expect(await outcome()).toMatchObject({ ok: false, type: 'authorization_cancelled' });
  });

  it('rejects with authorization_timeout and closes the popup when the flow takes too long', async () => {
    issuer.decision = 'hold';
    const popupPromise = page.waitForEvent('popup');
    await page.evaluate(() => {
      (window as any).outcome = (window as any).connect('idp', 'slow-user', { timeoutMs: 1500 });
    });
    const popup = await popupPromise;
    await popup.waitForEvent('close', { timeout: 10_000 });
    expect(await outcome()).toMatchObject({ ok: false, type: 'authorization_timeout' });
  });

  it('reports a server-side failure (unknown config) through the popup', async () => {
    const popupPromise = page.waitForEvent('popup');
    await page.evaluate(() => {
      (window as any).outcome = (window as any).connect('no-such-config', 'user-x');
    });
    await (await popupPromise).waitForEvent('close', { timeout: 10_000 });
    expect(await outcome()).toMatchObject({ ok: false, type: 'unknown_provider_config', message: 'No provider config with key "no-such-config".' });
  });
});

describe('GraphiQL in Chromium', () => {
  it('loads and runs a query', async () => {
    await page.goto(`${server.url}/graphql`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
    await page.click('.graphiql-execute-button');
    // The result pane shows the stored config: the query really ran against the server.
    await page.waitForFunction(() => /"key":\s*"idp"/.test(document.body.innerText), undefined, { timeout: 20_000 });
    expect(await page.evaluate(() => document.body.innerText)).toContain('"data"');
  });
});
