// GraphiQL's page, which anyone may load: small, with its scripts as files a
// browser keeps, under a CSP that allows only this server's scripts, never
// framed; and still a working GraphiQL for the person who has the key.
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-test-graphiql-0123456789';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } });
  const created = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify({ query: 'mutation { createProviderConfig(input: { key: "github", provider: "github", clientId: "id", clientSecret: "s", scopes: ["repo"] }) { key } }' }),
  });
  expect(created.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function loadPage(): Promise<{ response: Response; html: string; bytes: number }> {
  const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
  const body = Buffer.from(await response.arrayBuffer());
  return { response, html: body.toString('utf8'), bytes: body.length };
}

/** The paths of the files the page names: scripts, stylesheet and icon, and the editor's workers in its settings. */
function filesOf(html: string): string[] {
  const linked = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
  const workers = [...html.matchAll(/"(\/graphql\/assets\/[^"]+-worker[^"]+)"/g)].map((match) => match[1]!);
  return [...linked, ...workers];
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).filter((words) => words[0]).map(([name, ...values]) => [name!, values]));
}

describe('the GraphiQL page anyone may load', () => {
  it('is at most 150 KB, with no inline script or style: its scripts and styles are files', async () => {
    const { response, html, bytes } = await loadPage();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(bytes).toBeLessThanOrEqual(150 * 1024);
    expect(html).not.toMatch(/<style\b/);
    // Every script is a file, or data the browser never runs.
    for (const [tag] of html.matchAll(/<script\b[^>]*>/g)) expect(tag).toMatch(/\bsrc="|type="application\/json"/);
    const files = filesOf(html);
    expect(files.filter((file) => file.endsWith('.js')).length).toBeGreaterThanOrEqual(2);
    expect(files.filter((file) => file.endsWith('.css'))).toHaveLength(1);
  });

  it('forbids framing, inline and foreign scripts, eval, and sniffing', async () => {
    const { response } = await loadPage();
    const csp = directives(response.headers.get('content-security-policy') ?? '');
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('worker-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves its files under names made from their content, cached as immutable', async () => {
    const files = filesOf((await loadPage()).html);
    expect(files.length).toBeGreaterThanOrEqual(7);
    const types = { js: 'text/javascript', css: 'text/css', ico: 'image/x-icon' } as Record<string, string>;
    for (const file of files) {
      const match = /^\/graphql\/assets\/[a-z-]+\.([0-9a-f]{16})\.(js|css|ico)$/.exec(file);
      expect(match).not.toBeNull();
      const response = await fetch(`${server.url}${file}`, { headers: { 'accept-encoding': 'identity' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toContain(types[match![2]!]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = Buffer.from(await response.arrayBuffer());
      expect(createHash('sha256').update(body).digest('hex').slice(0, 16)).toBe(match![1]);
    }
  });

  it('sends the big bundle compressed to a browser that accepts it, the same bytes once unpacked', async () => {
    const script = filesOf((await loadPage()).html).find((file) => file.includes('/graphiql.') && file.endsWith('.js'))!;
    const plain = Buffer.from(await (await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    expect(plain.length).toBeGreaterThan(1_000_000);
    // Compressed once, off the event loop; meanwhile the plain bytes go out.
    const unpack = { gzip: gunzipSync, br: brotliDecompressSync };
    for (const [accept, encoding] of [['gzip', 'gzip'], ['gzip, deflate, br', 'br']] as const) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const raw = await rawGet(script, { 'accept-encoding': accept });
        if (raw.headers['content-encoding'] === encoding) {
          expect(raw.body.length).toBeLessThan(plain.length / 2);
          expect(unpack[encoding](raw.body).equals(plain)).toBe(true);
          expect(raw.headers.vary).toBe('accept-encoding');
          break;
        }
        expect(raw.body.equals(plain) || raw.headers['content-encoding'] === 'gzip').toBe(true);
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 30_000);

  it('answers a file name it does not serve with not_found, a name one digit off included', async () => {
    const script = filesOf((await loadPage()).html).find((file) => file.endsWith('.js'))!;
    expect((await fetch(`${server.url}${script}`)).status).toBe(200);
    const oneOff = script.replace(/\.([0-9a-f])([0-9a-f]{15})\.js$/, (_all, first: string, rest: string) => `.${first === '0' ? '1' : '0'}${rest}.js`);
    const withoutHash = script.replace(/\.[0-9a-f]{16}\.js$/, '.js');
    for (const path of [oneOff, withoutHash, '/graphql/assets/..%2F..%2Fpackage.json', '/graphql/assets/%2e%2e', '/graphql/assets/index.js']) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
      expect(await response.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
  });

  it('runs no operation and takes no other method or path from the files route', async () => {
    const script = filesOf((await loadPage()).html).find((file) => file.endsWith('.js'))!;
    const query = encodeURIComponent('{ providerConfigs { key clientId } }');
    const asOperation = await fetch(`${server.url}${script}?query=${query}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${SECRET_KEY}` } });
    expect(asOperation.headers.get('content-type')).toContain('text/javascript');
    expect(await asOperation.text()).not.toContain('"providerConfigs"');
    const posted = await fetch(`${server.url}${script}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
      body: JSON.stringify({ query: '{ providerConfigs { key } }' }),
    });
    expect(posted.status).toBe(404);
    expect((await posted.json()).error.code).toBe('not_found');
    for (const path of ['/graphql/assets', '/graphql/assets/', `${script}/more`]) {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
      expect([path, response.status]).toEqual([path, 404]);
    }
  });
});

describe('GraphiQL in Chromium, on a server with a secret key', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('runs under its CSP with no violation, and runs a query with the key typed into its Headers pane', async () => {
    const page = await (await browser.newContext()).newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`Refused to load (CSP): ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));

    await page.goto(`${server.url}/graphql`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
    // The user puts the key in the Headers pane, in place of the placeholder.
    await page.getByText('Headers', { exact: true }).click();
    const headers = page.locator('.graphiql-editor-tool .monaco-editor').last();
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${SECRET_KEY}` }));
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => /"key":\s*"github"/.test(document.body.innerText), undefined, { timeout: 20_000 });

    // Monaco's workers ran, from this server's files.
    expect(workers.length).toBeGreaterThan(0);
    for (const url of workers) expect(url).toMatch(new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/graphql/assets/`));
    expect(violations).toEqual([]);
    await page.context().close();
  }, 60_000);
});

/** A GET whose body is left as sent (fetch would unpack it). */
async function rawGet(path: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}
