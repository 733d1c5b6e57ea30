// The attack: API keys and passwords of unusual shapes — "$&" and "$'" (which
// String.replace reads as patterns), characters an HTTP header cannot carry,
// a lone UTF-16 surrogate (JSON can spell one; it is no character at all) —
// given to createConnection. Each is either sent to the API byte for byte and
// stored as given, or refused with invalid_input naming the field, with
// nothing stored; never a 5xx that blames the API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';

/** What the API received in the Authorization header, by request. */
const seen: string[] = [];
let api: http.Server;
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  // Accepts every key and every password: what matters is what arrives.
  api = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  server = await startTestServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await server.graphql(`mutation($a: CreateProviderConfigInput!, $b: CreateProviderConfigInput!) { a: createProviderConfig(input: $a) { key } b: createProviderConfig(input: $b) { key } }`, {
    a: { key: 'openai', provider: 'openai', baseUrl: apiUrl },
    b: { key: 'twilio', provider: 'twilio', baseUrl: apiUrl },
  });
  expect(created.errors).toBeUndefined();
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await new Promise((resolve) => api?.close(resolve));
});

const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId credentials { ... on ApiKeyCredentials { apiKey } ... on BasicCredentials { username password } } } }`;
const stored = async (connectionId: string) => (await db.query('SELECT 1 FROM connections WHERE connection_id = $1', [connectionId])).rowCount;

describe('an API key with "$" patterns in it', () => {
  it('reaches the API exactly as given and is stored as given', async () => {
    const key = "sk-$&-$'-$`-$$-end";
    const created = await server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId: 'dollars', apiKey: key } });
    expect(created.errors).toBeUndefined();
    expect(seen.at(-1)).toBe(`Bearer ${key}`);
    expect(created.data.createConnection.credentials).toEqual({ apiKey: key });
  });
});

describe('credentials an HTTP request cannot carry as given', () => {
  it('refuses a header-placed key with characters outside ASCII, naming the field, before any call', async () => {
    const calls = seen.length;
    for (const [connectionId, apiKey] of [['cyrillic', 'sk-ключ-0123456789'], ['separator', 'sk-\u2028-0123456789']] as const) {
      const refused = await server.graphql(CREATE, { input: { providerConfigKey: 'openai', connectionId, apiKey } });
      expect(refused.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(refused.errors?.[0]?.message).toContain('apiKey: ');
      expect(await stored(connectionId)).toBe(0);
    }
    expect(seen.length).toBe(calls);
  });

  it('refuses a lone surrogate in a key, a username or a password (no text at all), before any call', async () => {
    const calls = seen.length;
    const inputs = [
      { providerConfigKey: 'openai', connectionId: 'lone-key', apiKey: 'sk-\ud800-0123456789' },
      { providerConfigKey: 'twilio', connectionId: 'lone-user', username: 'AC\udfff123', password: 'token-0123' },
      { providerConfigKey: 'twilio', connectionId: 'lone-password', username: 'AC123', password: 'token-\ud83d-0123' },
    ];
    for (const input of inputs) {
      // Sent as the JSON escape, which is how a client can spell a lone surrogate.
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: CREATE, variables: { input } }) });
      const body = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      expect(body.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(body.errors?.[0]?.message).toMatch(/^(apiKey|username|password): /);
      expect(await stored(input.connectionId)).toBe(0);
    }
    expect(seen.length).toBe(calls);
  });
});
