// Nango 0.x's published clients, unchanged: @nangohq/frontend 0.8 in Chromium
// and @nangohq/node 0.9, under the `open` policy (no keys: the seeds' quick
// start) and the `public-key` policy (their production setup).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Nango as NangoNode } from '@nangohq/node';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-0x-clients-0123456789abcdef';
const PUBLIC_KEY = 'pk-0x-clients-0123456789abcdef';
const FRONTEND_08 = readFileSync(createRequire(import.meta.url).resolve('@nangohq/frontend'), 'utf8');

let open: TestServer;
let publicKey: TestServer;
let issuer: TestIssuer;
let browser: Browser;
let app: http.Server;
let appUrl: string;

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  issuer = await startTestIssuer(ports.map((port) => `http://localhost:${port}/oauth/callback`));
  open = await startTestServer({ port: ports[0] });
  publicKey = await startTestServer({ port: ports[1], env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_PUBLIC_KEY: PUBLIC_KEY, NANGO_CONNECT_POLICY: 'public-key' } });
  for (const server of [open, publicKey]) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
      body: JSON.stringify({
        query: 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
        variables: { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } },
      }),
    });
    expect(response.status).toBe(200);
  }
  // The operator's page: @nangohq/frontend 0.8 as published, and a button that calls auth().
  app = http.createServer((req, res) => {
    if (req.url === '/frontend.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(FRONTEND_08);
      return;
    }
    const { host, key } = Object.fromEntries(new URL(req.url!, 'http://app').searchParams);
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><button id="connect">Connect</button><script type="module">
      import Nango from '/frontend.js';
      const nango = new Nango({ host: ${JSON.stringify(host)}${key ? `, publicKey: ${JSON.stringify(key)}` : ''} });
      document.querySelector('#connect').addEventListener('click', () => {
        window.outcome = nango.auth('idp', document.body.dataset.connectionId).then((data) => ({ ok: true, data }), (data) => ({ ok: false, data }));
      });
      window.sdkLoaded = true;
    </script>`);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => app?.close(resolve));
  await Promise.all([open?.stop(), publicKey?.stop(), issuer?.close()]);
});

/** Clicks Connect on the operator's page and returns what @nangohq/frontend 0.8's promise settled with. */
async function connectWith08(server: TestServer, connectionId: string, key?: string): Promise<{ ok: boolean; data: any }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${appUrl}?host=${encodeURIComponent(server.url)}${key ? `&key=${key}` : ''}`);
    await page.waitForFunction(() => (window as unknown as { sdkLoaded?: boolean }).sdkLoaded === true);
    await page.evaluate((id) => {
      document.body.dataset.connectionId = id;
    }, connectionId);
    const popup = page.waitForEvent('popup');
    await page.click('#connect');
    const window = await popup;
    const closed = window.isClosed() ? Promise.resolve() : window.waitForEvent('close', { timeout: 15_000 });
    // Under the public-key policy the popup first names the connection and the end user clicks Continue
    // (unless the popup reports a refusal at once and closes: then there is nothing to click).
    if (key) await window.locator('#nango-confirm button').click().catch(() => undefined);
    await closed;
    return await page.evaluate(() => (window as unknown as { outcome: Promise<{ ok: boolean; data: any }> }).outcome);
  } finally {
    await context.close();
  }
}

describe('@nangohq/frontend 0.8 and @nangohq/node 0.9', () => {
  it('connect and read tokens under the open policy (no keys: the quick start)', async () => {
    expect(await connectWith08(open, 'seed-user')).toEqual({ ok: true, data: { providerConfigKey: 'idp', connectionId: 'seed-user' } });
    const nango = new NangoNode({ host: open.url });
    expect(await nango.getToken('idp', 'seed-user')).toEqual(expect.any(String));
    // Re-authorizing from the page is allowed when the policy is open.
    const again = await connectWith08(open, 'seed-user');
    expect(again).toEqual({ ok: true, data: { providerConfigKey: 'idp', connectionId: 'seed-user' } });
  });

  it('connect with the public key and read with the secret key under the public-key policy', async () => {
    expect(await connectWith08(publicKey, 'pk-user', PUBLIC_KEY)).toEqual({ ok: true, data: { providerConfigKey: 'idp', connectionId: 'pk-user' } });
    const nango = new NangoNode({ host: publicKey.url, secretKey: SECRET_KEY });
    const token = await nango.getToken('idp', 'pk-user');
    expect(token).toEqual(expect.any(String));
    expect((await nango.getConnection('idp', 'pk-user')).connection_id).toBe('pk-user');
  });

  it('cannot replace an existing connection with the public key under the public-key policy', async () => {
    const nango = new NangoNode({ host: publicKey.url, secretKey: SECRET_KEY });
    const before = await nango.getToken('idp', 'pk-user');
    const again = await connectWith08(publicKey, 'pk-user', PUBLIC_KEY);
    expect(again).toMatchObject({ ok: false, data: { error: { type: 'connect_session_required' } } });
    expect(await nango.getToken('idp', 'pk-user')).toBe(before);
  });
});
