// /proxy/* as a backend uses it: a call to the provider's API with the
// connection's credentials placed by the service, against an API on loopback
// that records what it receives. API keys, Basic, OAuth 1.0a signatures and
// OAuth 2 tokens (a real oidc-provider: a token the API refuses is refreshed
// once, with refresh-token rotation on) ; headers that must not cross; 429 and
// 503 waited out; bodies streamed both ways; limits and errors.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { loadSettings } from '../server/settings.js';
import { startServer } from '../server/start.js';
import { startFakeApi, type FakeApi } from './support/fake-api.js';
import { walkFlow } from './support/flow-client.js';
import { MACHINE_CLIENT, startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-proxy-tests-0123456789abcdef';
const API_KEY = 'key-PROXY-0123456789-abcdef';
const UPLOAD_LIMIT = 3 * 1024 * 1024;

let server: TestServer;
let api: FakeApi;
let issuer: TestIssuer;
let db: pg.Client;

async function graphql(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

function proxy(path: string, init: RequestInit & { config?: string; connection?: string } = {}): Promise<Response> {
  const { config = 'apikey', connection = 'u1', headers, ...rest } = init;
  return fetch(`${server.url}/proxy${path}`, {
    ...rest,
    headers: { authorization: `Bearer ${SECRET_KEY}`, 'provider-config-key': config, 'connection-id': connection, ...(headers as Record<string, string>) },
  });
}

/** A request sent as written (fetch() would normalize the path and refuses hop-by-hop headers). */
function rawRequest(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${SECRET_KEY}`, 'provider-config-key': 'apikey', 'connection-id': 'u1', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end();
  });
}

function received(path: string) {
  return api.received.filter((request) => request.url.split('?')[0] === path);
}

beforeAll(async () => {
  api = await startFakeApi();
  const port = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`] });
  server = await startTestServer({
    port,
    env: {
      NANGO_SECRET_KEY: SECRET_KEY,
      NANGO_REFRESH_CONCURRENCY: '0',
      NANGO_PROXY_TIMEOUT_MS: '1500',
      NANGO_PROXY_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
      NANGO_PROXY_RETRY_BUDGET_MS: '4000',
    },
  });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const create = 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }';
  await graphql(create, { input: { key: 'apikey', provider: 'custom-api-key', baseUrl: `${api.url}/v1` } });
  await graphql(create, { input: { key: 'basic', provider: 'custom-basic', baseUrl: api.url } });
  await graphql(create, { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret, baseUrl: api.url } });
  await graphql(create, { input: { key: 'trello', provider: 'trello', clientId: 'consumer-key', clientSecret: 'consumer-secret-0123', baseUrl: api.url } });
  await graphql(create, { input: { key: 'xkey', provider: 'custom-api-key', baseUrl: api.url, apiKeyPlacement: { in: 'header', name: 'X-API-Key', format: 'Token ${apiKey}' } } });
  await graphql(create, { input: { key: 'qkey', provider: 'custom-api-key', baseUrl: api.url, apiKeyPlacement: { in: 'query', name: 'api_key' } } });
  await graphql(create, { input: { key: 'shop', provider: 'shopify', clientId: 'shop-client', clientSecret: 'shop-secret-0123', baseUrl: `${api.url}/admin/api` } });
  const connect = 'mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }';
  await graphql(connect, { input: { providerConfigKey: 'apikey', connectionId: 'u1', apiKey: API_KEY } });
  await graphql(connect, { input: { providerConfigKey: 'xkey', connectionId: 'u1', apiKey: API_KEY } });
  await graphql(connect, { input: { providerConfigKey: 'qkey', connectionId: 'u1', apiKey: 'q&key=1 2' } });
  await graphql(connect, { input: { providerConfigKey: 'basic', connectionId: 'u1', username: 'ada', password: 'pass-word-0123' } });
  const oauth1 = { type: 'OAUTH1', oauthToken: 'user-token', oauthTokenSecret: 'user-token-secret-0123', expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} };
  await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('trello', 'u1', $1)`, [JSON.stringify(oauth1)]);
  const shopToken = { type: 'OAUTH2', accessToken: 'shpat_0123456789abcdef', refreshToken: null, tokenType: 'bearer', scopes: [], expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} };
  await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, connection_config) VALUES ('shop', 'u1', $1, '{"subdomain":"acme"}')`, [JSON.stringify(shopToken)]);
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await issuer?.close();
  await api?.close();
});

describe('an API key connection', () => {
  it('sends the call under the base URL with the key in place of the caller’s own Authorization', async () => {
    const response = await proxy('/user/repos?per_page=5&q=a%20b', { headers: { 'x-custom': 'kept', accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-nango-proxy-error')).toBeNull();
    const echoed = (await response.json()) as { method: string; url: string; headers: Record<string, string> };
    expect(echoed.method).toBe('GET');
    // The query as the caller sent it, byte for byte.
    expect(echoed.url).toBe('/v1/user/repos?per_page=5&q=a%20b');
    expect(echoed.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(echoed.headers['x-custom']).toBe('kept');
    expect(echoed.headers.host).toBe(new URL(api.url).host);
  });

  it('forwards neither cookies, the proxy’s own headers, nor hop-by-hop ones (those a Connection header names included)', async () => {
    const answer = await rawRequest('/proxy/headers', { cookie: 'session=secret', 'x-drop-me': 'hop', connection: 'x-drop-me', retries: '0', 'x-forwarded-for': '10.0.0.1', 'x-kept': 'yes' });
    expect(answer.status).toBe(200);
    const seen = received('/v1/headers').at(-1)!;
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['x-drop-me']).toBeUndefined();
    expect(seen.headers['provider-config-key']).toBeUndefined();
    expect(seen.headers['connection-id']).toBeUndefined();
    expect(seen.headers.retries).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('yes');
    expect(JSON.stringify(seen.headers)).not.toContain(SECRET_KEY);
  });

  it('returns the provider’s status, body and headers, but not its cookies, its marker, or a header that repeats the key', async () => {
    api.handlers.set('/v1/answer', (_request, res) => {
      res.statusCode = 418;
      res.setHeader('set-cookie', 'tracking=1');
      res.setHeader('x-echo', `you sent ${API_KEY}`);
      res.setHeader('x-nango-proxy-error', 'forged');
      res.setHeader('x-rate-limit-remaining', '41');
      res.setHeader('content-type', 'text/plain');
      res.end('short and stout');
    });
    const response = await proxy('/answer', { method: 'POST', body: 'tea', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(418);
    expect(await response.text()).toBe('short and stout');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-echo')).toBeNull();
    expect(response.headers.get('x-nango-proxy-error')).toBeNull();
    expect(response.headers.get('x-rate-limit-remaining')).toBe('41');
    expect(received('/v1/answer').at(-1)!.body.toString()).toBe('tea');
  });

  it.each([
    ['//evil.example/x'],
    ['/%2F%2Fevil.example/x'],
    ['/../admin'],
    ['/%2e%2e/admin'],
    ['/a/..%2f..%2fadmin'],
    ['/@evil.example'],
    ['/a\\..\\b'],
  ])('keeps %s on the configured host, or refuses it', async (path) => {
    const before = api.received.length;
    const response = await rawRequest(`/proxy${path}`);
    if (response.status === 200) {
      // Sent, then only to the API, under its base path.
      const seen = api.received.slice(before);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.url.startsWith('/v1/')).toBe(true);
      expect(seen[0]!.url).not.toContain('..');
    } else {
      expect(response.status).toBe(400);
      expect(response.headers['x-nango-proxy-error']).toBe('invalid_input');
      expect(api.received.length).toBe(before);
    }
  });

  it('never passes a short answer off as whole: a provider that sends less than it declared is 502 provider_unreachable', async () => {
    api.streamingHandlers.set('/v1/short', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const response = await proxy('/short');
    expect(response.status).toBe(502);
    expect(response.headers.get('x-nango-proxy-error')).toBe('provider_unreachable');
  });

  it('passes a HEAD on: the provider\'s status and headers, no body', async () => {
    api.handlers.set('/v1/file', (_request, res) => {
      res.setHeader('content-type', 'application/pdf');
      res.setHeader('content-length', '12345');
      res.setHeader('etag', '"v1"');
      res.end();
    });
    const response = await proxy('/file', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"v1"');
    expect(response.headers.get('content-length')).toBe('12345');
    expect(await response.text()).toBe('');
    expect(received('/v1/file').at(-1)!.method).toBe('HEAD');
  });

  it('takes /proxy//user, as Nango\'s Node clients before 0.30 send it, for /proxy/user', async () => {
    const answer = await rawRequest('/proxy//user?x=1');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).url).toBe('/v1/user?x=1');
    const twice = await rawRequest('/proxy///evil.example/x');
    expect(twice.status).toBe(400);
  });

  it('refuses a call without the secret key, or without the identifying headers, with stable codes', async () => {
    const anonymous = await fetch(`${server.url}/proxy/user`, { headers: { 'provider-config-key': 'apikey', 'connection-id': 'u1' } });
    expect(anonymous.status).toBe(401);
    const noConfig = await fetch(`${server.url}/proxy/user`, { headers: { authorization: `Bearer ${SECRET_KEY}`, 'connection-id': 'u1' } });
    expect(noConfig.status).toBe(400);
    expect(((await noConfig.json()) as any).error.message).toContain('Provider-Config-Key');
    const unknown = await proxy('/user', { connection: 'nobody' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-nango-proxy-error')).toBe('unknown_connection');
    const badRetries = await proxy('/user', { headers: { retries: 'many' } });
    expect(badRetries.status).toBe(400);
  });
});

describe('other auth modes', () => {
  it('sends Basic credentials', async () => {
    const response = await proxy('/me', { config: 'basic' });
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toBe(`Basic ${Buffer.from('ada:pass-word-0123').toString('base64')}`);
  });

  it('places a custom API\'s key where its config says: a header with its format, or a query parameter', async () => {
    const header = (await (await proxy('/me', { config: 'xkey', headers: { 'x-api-key': 'caller-own' } })).json()) as { headers: Record<string, string> };
    expect(header.headers['x-api-key']).toBe(`Token ${API_KEY}`);
    expect(header.headers.authorization).toBeUndefined();
    const query = (await (await proxy('/me?a=1', { config: 'qkey' })).json()) as { url: string; headers: Record<string, string> };
    expect(query.url).toBe('/me?a=1&api_key=q%26key%3D1%202');
    expect(query.headers.authorization).toBeUndefined();
  });

  it('places an OAuth token where the template says its API takes it (Shopify: X-Shopify-Access-Token)', async () => {
    const response = await proxy('/2024-10/shop.json', { config: 'shop' });
    const echoed = (await response.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/admin/api/2024-10/shop.json');
    expect(echoed.headers['x-shopify-access-token']).toBe('shpat_0123456789abcdef');
    expect(echoed.headers.authorization).toBeUndefined();
  });

  it('signs an OAuth 1.0a call over its method, URL, query and form body, as the provider checks it', async () => {
    const response = await proxy('/1/members/me?fields=a%20b&fields=c', {
      config: 'trello',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ada+L&tag=x&tag=y',
    });
    expect(response.status).toBe(200);
    const seen = received('/1/members/me').at(-1)!;
    const header = String(seen.headers.authorization);
    const fields = Object.fromEntries([...header.slice('OAuth '.length).matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name!, decodeURIComponent(value!)]));
    expect(fields.oauth_consumer_key).toBe('consumer-key');
    expect(fields.oauth_token).toBe('user-token');
    // The provider's check: the signature base string recomputed from what arrived (RFC 5849 §3.4.1).
    const url = new URL(seen.url, api.url);
    const params: Array<[string, string]> = [...url.searchParams, ...new URLSearchParams(seen.body.toString()), ...Object.entries(fields).filter(([name]) => name !== 'oauth_signature')];
    const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const normalized = params.map(([name, value]) => [encode(name), encode(value)]).sort((a, b) => (a[0] === b[0] ? (a[1]! < b[1]! ? -1 : 1) : a[0]! < b[0]! ? -1 : 1)).map(([name, value]) => `${name}=${value}`).join('&');
    const base = ['POST', encode(`${url.origin}${url.pathname}`), encode(normalized)].join('&');
    const expected = createHmac('sha1', `${encode('consumer-secret-0123')}&${encode('user-token-secret-0123')}`).update(base).digest('base64');
    expect(fields.oauth_signature).toBe(expected);
  });
});

describe('an OAuth 2 connection (oidc-provider, refresh tokens rotated)', () => {
  const resourceServer = async (request: { headers: http.IncomingHttpHeaders }, res: http.ServerResponse) => {
    const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    const found = await issuer.provider.AccessToken.find(token);
    if (!found || found.isExpired) {
      // A test's way to make one refusal arrive late (after another call has refreshed).
      const delay = Number(request.headers['x-test-delay-401'] ?? 0);
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      res.end('{"message":"Bad credentials"}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ login: found.accountId }));
  };

  beforeAll(async () => {
    api.handlers.set('/user', resourceServer);
    const session = await graphql('mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }', { input: { providerConfigKey: 'idp', connectionId: 'o1' } });
    const result = await walkFlow(session.createConnectSession.connectUrl);
    expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  });

  it('answers with the token it holds', async () => {
    const response = await proxy('/user', { config: 'idp', connection: 'o1' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ login: issuer.accountId });
  });

  it('refreshes once on a 401 and makes the call again, however many calls meet it at once', async () => {
    const { rows } = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'o1'`);
    const stored = JSON.parse(rows[0].credentials) as { accessToken: string };
    // The provider no longer honours the token the service holds (and still thinks valid).
    await (await issuer.provider.AccessToken.find(stored.accessToken))!.destroy();
    const refreshesBefore = issuer.refreshSuccesses;
    const answers = await Promise.all(Array.from({ length: 8 }, () => proxy('/user', { config: 'idp', connection: 'o1' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(issuer.refreshSuccesses - refreshesBefore).toBe(1);
  });

  it('does not refresh again for a 401 that arrives after another call refreshed: it takes the credentials renewed meanwhile', async () => {
    const { rows } = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'o1'`);
    await (await issuer.provider.AccessToken.find(JSON.parse(rows[0].credentials).accessToken))!.destroy();
    const refreshesBefore = issuer.refreshSuccesses;
    const [late, early] = await Promise.all([
      proxy('/user', { config: 'idp', connection: 'o1', headers: { 'x-test-delay-401': '500' } }),
      proxy('/user', { config: 'idp', connection: 'o1' }),
    ]);
    expect([late.status, early.status]).toEqual([200, 200]);
    expect(issuer.refreshSuccesses - refreshesBefore).toBe(1);
  });

  it('refreshes once when calls on two instances meet the 401 at once', async () => {
    const second = await startServer(loadSettings({ PORT: '0', DATABASE_URL: server.database.url, LOG_LEVEL: 'silent', NANGO_SECRET_KEY: SECRET_KEY, NANGO_ALLOW_PRIVATE_PROVIDER_URLS: 'true', NANGO_REFRESH_CONCURRENCY: '0' }), createLogger('silent'));
    try {
      const { rows } = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'o1'`);
      await (await issuer.provider.AccessToken.find(JSON.parse(rows[0].credentials).accessToken))!.destroy();
      const refreshesBefore = issuer.refreshSuccesses;
      const call = (url: string) => fetch(`${url}/proxy/user`, { headers: { authorization: `Bearer ${SECRET_KEY}`, 'provider-config-key': 'idp', 'connection-id': 'o1' } });
      const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => call(index % 2 ? second.url : server.url)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect(issuer.refreshSuccesses - refreshesBefore).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('marks the connection NEEDS_REAUTH when the API refuses the renewed token too, with its event', async () => {
    api.handlers.set('/always-401', (_request, res) => {
      res.statusCode = 401;
      res.end('no');
    });
    const response = await proxy('/always-401', { config: 'idp', connection: 'o1' });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('no');
    const { rows } = await db.query(`SELECT health, health_code FROM connections WHERE connection_id = 'o1'`);
    expect(rows[0]).toEqual({ health: 'NEEDS_REAUTH', health_code: 'credentials_rejected' });
    const events = await db.query(`SELECT type FROM events WHERE connection_id = 'o1' AND type = 'connection.needs_reauth'`);
    expect(events.rowCount).toBe(1);
  });
});

describe('a client credentials connection (oidc-provider)', () => {
  beforeAll(async () => {
    await graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
      input: { key: 'machine', provider: 'custom-oauth2-cc', clientId: MACHINE_CLIENT.client_id, clientSecret: MACHINE_CLIENT.client_secret, tokenUrl: `${issuer.issuer}/token`, scopes: ['api:read'], baseUrl: `${api.url}/m` },
    });
    await graphql('mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }', { input: { providerConfigKey: 'machine', connectionId: 'm1' } });
    // The API checks the service's token at the authorization server, as a resource server would.
    api.handlers.set('/m/jobs', async (request, res) => {
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const found = await issuer.provider.ClientCredentials.find(token);
      res.statusCode = found && !found.isExpired ? 200 : 401;
      res.end(found ? JSON.stringify({ client: found.clientId }) : 'invalid token');
    });
  });

  it('sends the token it obtained, and obtains another on a 401', async () => {
    const first = await proxy('/jobs', { config: 'machine', connection: 'm1' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ client: MACHINE_CLIENT.client_id });
    const { rows } = await db.query(`SELECT credentials FROM connections WHERE connection_id = 'm1'`);
    await (await issuer.provider.ClientCredentials.find(JSON.parse(rows[0].credentials).token))!.destroy();
    const grantsBefore = issuer.clientCredentialsGrants;
    const again = await proxy('/jobs', { config: 'machine', connection: 'm1' });
    expect(again.status).toBe(200);
    expect(issuer.clientCredentialsGrants - grantsBefore).toBe(1);
  });
});

describe('rate limits and outages', () => {
  it('waits out a 429 with Retry-After, up to the Retries asked for', async () => {
    let calls = 0;
    api.handlers.set('/v1/limited', (_request, res) => {
      calls++;
      if (calls === 1) {
        res.statusCode = 429;
        res.setHeader('retry-after', '1');
        res.end('slow down');
        return;
      }
      res.end('ok');
    });
    const started = Date.now();
    const response = await proxy('/limited', { headers: { retries: '2' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls).toBe(2);
  });

  it('returns the 429 as it is when no retry was asked for, or the wait is past the time budget', async () => {
    api.handlers.set('/v1/limited-long', (_request, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '60');
      res.end('later');
    });
    const started = Date.now();
    const response = await proxy('/limited-long', { headers: { retries: '3' } });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('backs off after a 503 without Retry-After', async () => {
    let calls = 0;
    api.handlers.set('/v1/flaky', (_request, res) => {
      calls++;
      res.statusCode = calls < 3 ? 503 : 200;
      res.end(String(calls));
    });
    const response = await proxy('/flaky', { headers: { retries: '3' } });
    expect(response.status).toBe(200);
    expect(calls).toBe(3);
  });

  it('retries a GET after a network failure, never a POST', async () => {
    let gets = 0;
    let posts = 0;
    api.handlers.set('/v1/drops', (request, res) => {
      if (request.method === 'GET' && ++gets === 1) return void res.socket?.destroy();
      if (request.method === 'POST') {
        posts++;
        return void res.socket?.destroy();
      }
      res.end('made it');
    });
    const get = await proxy('/drops', { headers: { retries: '1' } });
    expect(get.status).toBe(200);
    expect(gets).toBe(2);
    const post = await proxy('/drops', { method: 'POST', body: 'once', headers: { retries: '3' } });
    expect(post.status).toBe(502);
    expect(post.headers.get('x-nango-proxy-error')).toBe('provider_unreachable');
    expect(posts).toBe(1);
  });

  it('gives up on a provider slower than the timeout with provider_timeout', async () => {
    api.handlers.set('/v1/hangs', () => undefined);
    const response = await proxy('/hangs');
    expect(response.status).toBe(504);
    expect(response.headers.get('x-nango-proxy-error')).toBe('provider_timeout');
  });
});

describe('streaming', () => {
  it('passes the first bytes of a slow download on as the provider sends them', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    api.streamingHandlers.set('/v1/slow', (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      res.write(Buffer.alloc(64 * 1024, 1));
      void released.then(() => res.end(Buffer.alloc(64 * 1024, 2)));
    });
    const response = await proxy('/slow');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    // The provider has not finished: these bytes came through before the end.
    expect(first.value!.length).toBeGreaterThan(0);
    release();
    let total = first.value!.length;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
    }
    expect(total).toBe(128 * 1024);
  });

  it('reads the provider no faster than the caller reads: a paused caller holds the provider back, not the server’s memory', async () => {
    let written = 0;
    let finished = false;
    api.streamingHandlers.set('/v1/firehose', (_req, res) => {
      const chunk = Buffer.alloc(256 * 1024, 7);
      const pump = () => {
        while (written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        finished = true;
        res.end();
      };
      res.on('close', () => (finished = true));
      pump();
    });
    const response = await proxy('/firehose');
    const reader = response.body!.getReader();
    await reader.read();
    // The caller stops reading; the provider can write only what the sockets and stream buffers between hold.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const whilePaused = written;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(64 * 1024 * 1024);
    expect(finished).toBe(false);
    // The caller goes away: the call to the provider ends with it.
    await reader.cancel();
    for (let waited = 0; !finished && waited < 3000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(finished).toBe(true);
    expect(written).toBeLessThan(512 * 1024 * 1024);
  });

  it('streams an upload larger than the replay buffer to the provider intact', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024 + 123);
    for (let index = 0; index < body.length; index++) body[index] = (index * 31) % 251;
    api.streamingHandlers.set('/v1/upload', (req, res) => {
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => res.end(JSON.stringify({ size, sha256: hash.digest('hex'), length: req.headers['content-length'] ?? null })));
    });
    const response = await proxy('/upload', { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ size: body.length, sha256: createHash('sha256').update(body).digest('hex'), length: String(body.length) });
  });

  it('ends an upload whose caller stops sending half way, before or after the first MiB, and releases the provider', async () => {
    const closes: string[] = [];
    api.streamingHandlers.set('/v1/stalled', (req, res) => {
      req.on('end', () => res.end('complete?!'));
      // The proxy's socket to the provider closing half way through the body.
      req.socket.on('close', () => closes.push(req.complete ? 'complete' : 'cut off'));
      req.resume();
    });
    for (const sentBeforeStall of [100 * 1024, 2 * 1024 * 1024]) {
      // A stall longer than the test: its timer does not hold the test run open.
      const stall = new Promise((resolve) => setTimeout(resolve, 4_000).unref());
      const chunks = (async function* () {
        yield new Uint8Array(sentBeforeStall);
        await stall;
        yield new Uint8Array(10);
      })();
      const started = Date.now();
      const answer = await proxy('/stalled', { method: 'PUT', body: chunks as never, duplex: 'half' } as never).then(
        (response) => response.status,
        () => 'closed',
      );
      // NANGO_PROXY_TIMEOUT_MS is 1.5 s here.
      expect(Date.now() - started).toBeLessThan(3_500);
      expect([400, 'closed']).toContain(answer);
    }
    // The first stalled before the proxy called the provider; the second, mid-stream: the provider saw it cut off.
    for (let waited = 0; closes.length < 1 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closes).toEqual(['cut off']);
  });

  it('refuses an upload over the limit: at once when declared, as it arrives when chunked', async () => {
    const declared = await proxy('/upload', { method: 'PUT', body: Buffer.alloc(UPLOAD_LIMIT + 1) });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('x-nango-proxy-error')).toBe('payload_too_large');
    const chunks = (async function* () {
      for (let sent = 0; sent <= UPLOAD_LIMIT; sent += 256 * 1024) yield new Uint8Array(256 * 1024);
    })();
    const before = received('/v1/upload').length;
    const chunked = await proxy('/upload', { method: 'PUT', body: chunks as never, duplex: 'half' } as never).catch((error: unknown) => error);
    // The answer is 413, or the socket closed on the rest of an upload the proxy refused.
    const answered = typeof (chunked as Response).status === 'number';
    if (answered) expect((chunked as Response).status).toBe(413);
    else expect(String((chunked as Error).cause ?? chunked)).toMatch(/closed|reset|socket|terminated/i);
    // The provider saw the upload begin at most, and never its end.
    expect(received('/v1/upload').length).toBeLessThanOrEqual(before + 1);
  });
});

describe('Base-Url-Override', () => {
  it('goes only to a host the config allows', async () => {
    const other = await startFakeApi();
    try {
      const refused = await proxy('/x', { headers: { 'base-url-override': other.url } });
      expect(refused.status).toBe(400);
      expect(other.received).toHaveLength(0);
      await graphql('mutation ($input: UpdateProviderConfigInput!) { updateProviderConfig(input: $input) { proxyAllowedHosts } }', { input: { key: 'apikey', proxyAllowedHosts: [new URL(other.url).host] } });
      const allowed = await proxy('/x', { headers: { 'base-url-override': `${other.url}/v2` } });
      expect(allowed.status).toBe(200);
      expect(other.received.at(-1)!.url).toBe('/v2/x');
      expect(other.received.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    } finally {
      await other.close();
    }
  });
});

describe('metrics', () => {
  it('counts proxied calls by provider, status and retries', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    const text = await response.text();
    expect(text).toMatch(/nango_proxy_requests_total\{provider="custom-api-key",status="200",retries="0"\} \d+/);
    expect(text).toMatch(/nango_proxy_requests_total\{provider="custom-api-key",status="200",retries="1"\} \d+/);
    expect(text).not.toContain(API_KEY);
  });
});
