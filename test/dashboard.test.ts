// The dashboard at the server's own address, in Chromium: without a secret key
// it opens and says the service is unprotected; with one it asks for the key
// once, keeps a session cookie the page cannot read and a CSRF token in memory,
// and never the key. Its session is attacked over plain HTTP: the cookie alone
// (a cross-site request carries no header), a forged or foreign cookie, the
// session after sign-out. Its files are named by their content, cached as
// immutable, and its first load stays under 250 KB compressed.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardSessions } from '../server/http/dashboard-session.js';
import { launchChromium } from './support/browser.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk_test_dashboard_0123456789abcdef';
const SCREENSHOTS = fileURLToPath(new URL('../test-results/dashboard/', import.meta.url));

let open: TestServer;
let keyed: TestServer;
let browser: Browser;

beforeAll(async () => {
  [open, keyed] = await Promise.all([startTestServer(), startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } })]);
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([open?.stop(), keyed?.stop()]);
});

/** A page that fails the test on any console error or uncaught exception. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('Secret key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the dashboard', () => {
  it('opens at the server address without a key, and says the service is unprotected', async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    await page.goto(open.url);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Overview');
    await expect(page.getByRole('status').textContent()).resolves.toContain('Unprotected');
    await page.getByRole('link', { name: 'Provider configs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Provider configs' }).waitFor();
    expect(page.url()).toBe(`${open.url}/dashboard/configs`);
    await page.screenshot({ path: `${SCREENSHOTS}configs-open.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('asks for the secret key once, keeps only an HttpOnly cookie, and shows the overview', async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    await page.goto(`${keyed.url}/dashboard/configs`);
    await signIn(page, 'not-the-key');
    await expect(page.getByRole('alert').textContent()).resolves.toContain("not this server's secret key");
    await signIn(page, SECRET_KEY);
    await page.getByRole('heading', { level: 1, name: 'Provider configs' }).waitFor();
    await expect(page.locator('code').first().textContent()).resolves.toBe(`${keyed.url.replace('127.0.0.1', 'localhost')}/oauth/callback`);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'nango_dashboard', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.expires * 1000 - Date.now()).toBeLessThanOrEqual(3600_000);
    // The key is in no storage, no cookie, no part of the page.
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, html: document.documentElement.outerHTML }));
    expect(stored).not.toContain(SECRET_KEY);
    expect(JSON.parse(stored).cookie).toBe('');
    // A reload keeps the session (the CSRF token is asked again, never stored).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Provider configs' }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect(page.locator('.facts').textContent()).resolves.toContain('Answering');
    await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the token service' }).waitFor();
    // Chromium logs the refused sign-in's 401 itself; nothing else may reach the console.
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await context.close();
  });
});

describe('the dashboard session, attacked', () => {
  async function session(): Promise<{ cookie: string; csrfToken: string }> {
    const response = await fetch(`${keyed.url}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secretKey: SECRET_KEY }) });
    expect(response.status).toBe(201);
    const cookie = /nango_dashboard=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!;
    return { cookie, csrfToken: ((await response.json()) as { csrfToken: string }).csrfToken };
  }

  const query = (headers: Record<string, string>) =>
    fetch(`${keyed.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ providerConfigs { key } }' }) }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));

  it('acts only with the cookie and its CSRF token together', async () => {
    const { cookie, csrfToken } = await session();
    const both = await query({ cookie: `nango_dashboard=${cookie}`, 'x-nango-csrf': csrfToken });
    expect(both.status).toBe(200);
    expect(both.body.data).toEqual({ providerConfigs: [] });
    // What a forged cross-site request would carry: the cookie (were it sent at all), no header.
    const cookieOnly = await query({ cookie: `nango_dashboard=${cookie}` });
    expect([cookieOnly.status, cookieOnly.body.errors[0].extensions.code]).toEqual([403, 'csrf_token_invalid']);
    const otherToken = await query({ cookie: `nango_dashboard=${cookie}`, 'x-nango-csrf': (await session()).csrfToken });
    expect(otherToken.body.errors[0].extensions.code).toBe('csrf_token_invalid');
  });

  it('refuses a forged, foreign or expired cookie', async () => {
    const { cookie, csrfToken } = await session();
    const [version, expires, id] = cookie.split('.');
    const forged = `${version}.${Number(expires) + 86_400}.${id}.${cookie.split('.')[3]}`;
    expect((await query({ cookie: `nango_dashboard=${forged}`, 'x-nango-csrf': csrfToken })).body.errors[0].extensions.code).toBe('dashboard_session_expired');
    // Made with another secret key: another server's session, or this one's before its key changed.
    const foreign = new DashboardSessions('another-secret-key-0123456789').issue();
    expect((await query({ cookie: `nango_dashboard=${foreign.cookie}`, 'x-nango-csrf': foreign.csrfToken })).status).toBe(401);
    const sessions = new DashboardSessions(SECRET_KEY);
    const old = sessions.issue(Date.now() - 3_601_000);
    expect((await query({ cookie: `nango_dashboard=${old.cookie}`, 'x-nango-csrf': old.csrfToken })).body.errors[0].extensions.code).toBe('dashboard_session_expired');
  });

  it('signs in only with the key, and a wrong key gets no cookie', async () => {
    const wrong = await fetch(`${keyed.url}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secretKey: 'guess' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_secret_key');
    const state = (await (await fetch(`${keyed.url}/dashboard/session`)).json()) as { protected: boolean; signedIn: boolean; csrfToken: string | null };
    expect(state).toMatchObject({ protected: true, signedIn: false, csrfToken: null });
  });
});

describe('the dashboard files', () => {
  it('are named by their content, cached as immutable, and the first load is under 250 KB compressed', async () => {
    const page = await fetch(`${open.url}/`, { headers: { 'accept-encoding': 'br' } });
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.map((asset) => asset.replace(/\.[0-9a-f]{16}\./, '.<hash>.')).sort()).toEqual(['/dashboard/assets/dashboard.<hash>.css', '/dashboard/assets/dashboard.<hash>.js']);
    let total = html.length;
    for (const asset of assets) {
      // The first request starts the compression; the second gets the compressed copy.
      await fetch(`${open.url}${asset}`, { headers: { 'accept-encoding': 'br' } }).then((response) => response.arrayBuffer());
      await new Promise((resolve) => setTimeout(resolve, 200));
      const response = await fetch(`${open.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      total += Number(response.headers.get('content-length') ?? (await response.arrayBuffer()).byteLength);
    }
    expect(total).toBeLessThan(250 * 1024);
  });
});
