// The attack on the Connect UI's credentials form, as a browser would post it
// (the page's cookie and hidden token kept): a refused submission re-renders
// the form, and a template whose "username" is its API key (Freshdesk) must
// not get that key back in the page, nor have it in a plain text field the
// browser keeps for autofill; two tabs submitting one session at once store
// one connection; a session's form posted to another connection's link
// stores nothing.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk_attack_connect_form_0123456789abcdef';
const GOOD_KEY = 'fd-good-key-0123456789';
let api: http.Server;
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  api = http.createServer((req, res) => {
    const good = req.headers.authorization === `Basic ${Buffer.from(`${GOOD_KEY}:X`).toString('base64')}`;
    // Slow enough that two submissions both pass the check before either stores.
    setTimeout(() => {
      res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' });
      res.end(good ? '{"id":1}' : '{"message":"You have to be logged in to perform this action."}');
    }, 150);
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await backend(`mutation($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }`, { input: { key: 'freshdesk', provider: 'freshdesk', baseUrl: `${apiUrl}/api/v2` } });
  expect(created.errors).toBeUndefined();
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await new Promise((resolve) => api?.close(resolve));
});

async function backend(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

async function connectUrl(connectionId: string): Promise<string> {
  const body = await backend(`mutation($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }`, { input: { providerConfigKey: 'freshdesk', connectionId } });
  expect(body.errors).toBeUndefined();
  return body.data.createConnectSession.connectUrl;
}

/** The form as a browser shows it: its hidden token and the cookie that goes with it. */
async function openForm(url: string): Promise<{ confirm: string; cookie: string }> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const confirm = /name="confirm" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(confirm).toBeDefined();
  return { confirm: confirm!, cookie: page.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ') };
}

function submit(url: string, form: { confirm: string; cookie: string }, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body: new URLSearchParams({ confirm: form.confirm, 'params[subdomain]': 'acme', ...fields }).toString(),
  });
}

const stored = async (connectionId: string) => (await db.query('SELECT 1 FROM connections WHERE connection_id = $1', [connectionId])).rowCount;

describe('the credentials form re-rendered after a refusal', () => {
  it('does not give back a username that is the API key, and asks for it in a field the browser does not keep', async () => {
    const url = await connectUrl('echo-user');
    const form = await openForm(url);
    const wrongKey = 'fd-typed-by-the-person-9f8e7d6c5b';
    const refused = await submit(url, form, { username: wrongKey, password: 'X' });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('You have to be logged in to perform this action.');
    expect(html).not.toContain(wrongKey);
    expect(html).toMatch(/<input id="username" name="username" type="password" autocomplete="off"/);
    expect(html).toContain('value="acme"');
    expect(await stored('echo-user')).toBe(0);
  });
});

describe('one connect session', () => {
  it('submitted from two tabs at once stores one connection, once', async () => {
    const url = await connectUrl('race-user');
    const [first, second] = [await openForm(url), await openForm(url)];
    const answers = await Promise.all([submit(url, first, { username: GOOD_KEY, password: 'X' }), submit(url, second, { username: GOOD_KEY, password: 'X' })]);
    const pages = await Promise.all(answers.map((answer) => answer.text()));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    expect(pages.filter((page) => page.includes('invalid_connect_session'))).toHaveLength(1);
    expect(await stored('race-user')).toBe(1);
    expect((await db.query(`SELECT 1 FROM events WHERE type = 'connection.created' AND connection_id = 'race-user'`)).rowCount).toBe(1);
  });

  it("posted to another connection's link, with its own page's token and cookie, stores nothing", async () => {
    const url = await connectUrl('victim-a');
    const form = await openForm(url);
    const other = new URL(url);
    other.searchParams.set('connection_id', 'victim-b');
    const answer = await submit(other.toString(), form, { username: GOOD_KEY, password: 'X' });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(await stored('victim-b')).toBe(0);
    expect(await stored('victim-a')).toBe(0);
  });
});
