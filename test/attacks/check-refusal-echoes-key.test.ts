// The attack: an API whose refusal repeats what it was sent — the key, at
// the end of a long message; the request URL, where a query-placed key is
// percent-encoded; the Authorization header, where Basic credentials are
// base64 — so that the check request's failure message (the GraphQL error,
// the REST error, the Connect UI's alert) hands the secret to whoever reads
// it. The key must appear in no form in any answer, log line or metric.
import { Writable } from 'node:stream';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../../server/log.js';
import { startTestServer, type TestServer } from '../support/server.js';

const lines: string[] = [];
let api: http.Server;
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  api = http.createServer((req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/models') {
      // A long apology, the key last: its start falls before the 300 characters the message keeps.
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      return res.end(JSON.stringify({ error: { message: `${'This request was refused because the API key given is not valid for this organization. '.repeat(4).slice(0, 280)} ${key}` } }));
    }
    // Like many APIs: the request as it arrived.
    if (url.pathname === '/v2/account') return res.end(JSON.stringify({ errors: [{ details: `No user found for the request ${req.url}` }] }));
    res.end(JSON.stringify({ message: `Authenticate: bad header ${req.headers.authorization}` }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  server = await startTestServer({ logger: createLogger('trace', sink) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await server.graphql(`mutation($a: CreateProviderConfigInput!, $b: CreateProviderConfigInput!, $c: CreateProviderConfigInput!) {
    a: createProviderConfig(input: $a) { key } b: createProviderConfig(input: $b) { key } c: createProviderConfig(input: $c) { key } }`, {
    a: { key: 'openai', provider: 'openai', baseUrl: apiUrl },
    b: { key: 'hunter', provider: 'hunter', baseUrl: `${apiUrl}/v2` },
    c: { key: 'twilio', provider: 'twilio', baseUrl: apiUrl },
  });
  expect(created.errors).toBeUndefined();
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await new Promise((resolve) => api?.close(resolve));
});

const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }`;

/** The secret and the forms an API may echo it in. */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), new URLSearchParams({ k: secret }).toString().slice(2), secret.slice(0, 12)];
}

describe("an API's refusal that repeats the credentials it was sent", () => {
  it('shows the refusal without the key, whether repeated at the end of a long message, percent-encoded in a URL, or as a base64 Basic header', async () => {
    const key = 'sk-proj-Z9yX8wV7uT6sR5qP4oN3mL2kJ1';
    const queryKey = 'hk live/key+with=signs';
    const [username, password] = ['AC0123456789abcdef', 'twilio-auth-token-5ecret'];
    const answers = await Promise.all([
      server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId: 'c1', apiKey: key } }),
      server.graphql(CREATE, { input: { providerConfigKey: 'hunter', connectionId: 'c2', apiKey: queryKey } }),
      server.graphql(CREATE, { input: { providerConfigKey: 'twilio', connectionId: 'c3', username, password } }),
    ]);
    const rest = await fetch(`${server.url}/connection`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider_config_key: 'twilio', connection_id: 'c4', username, password }) });
    const said = [...answers.map((answer) => answer.errors?.[0]?.message ?? ''), await rest.text()];
    expect(answers.map((answer) => answer.errors?.[0]?.extensions?.code)).toEqual(['credentials_rejected', 'credentials_rejected', 'credentials_rejected']);
    // Still the API's own words, so the person knows what went wrong.
    expect(said[0]).toContain('not valid for this organization');
    expect(said[1]).toContain('No user found for the request');
    expect(said[2]).toContain('Authenticate: bad header Basic');
    const secrets = [...forms(key), ...forms(queryKey), ...forms(password), Buffer.from(`${username}:${password}`).toString('base64')];
    for (const secret of secrets) expect(said.filter((text) => text.includes(secret))).toEqual([]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const secret of secrets) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
      expect(metrics).not.toContain(secret);
    }
    expect((await db.query('SELECT 1 FROM connections')).rowCount).toBe(0);
  });
});
