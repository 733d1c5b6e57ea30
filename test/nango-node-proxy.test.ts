// Nango's own published Node client (0.36, the first line with today's proxy
// API; 0.9 had none) calling /proxy unchanged: its Connection-Id and
// Provider-Config-Key headers, its Nango-Proxy-<name> headers, the empty
// Base-Url-Override it always sends, and its own bookkeeping headers, which the
// provider must not see.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Nango } from 'nango-node-0x-proxy';
import { startFakeApi, type FakeApi } from './support/fake-api.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-nango-node-proxy-0123456789';
const API_KEY = 'key-for-nango-node-0123456789';

let server: TestServer;
let api: FakeApi;

beforeAll(async () => {
  api = await startFakeApi();
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } });
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  };
  await graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input: { key: 'api', provider: 'custom-api-key', baseUrl: api.url } });
  await graphql('mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }', { input: { providerConfigKey: 'api', connectionId: 'u1', apiKey: API_KEY } });
});

afterAll(async () => {
  await server?.stop();
  await api?.close();
});

describe("Nango's published Node client through /proxy", () => {
  it('gets the provider\'s answer, with its headers and params, the key placed by the server', async () => {
    const nango = new Nango({ host: server.url, secretKey: SECRET_KEY });
    const response = await nango.get({ endpoint: '/user', providerConfigKey: 'api', connectionId: 'u1', headers: { 'X-Tenant': 'acme' }, params: { per_page: 5 } });
    expect(response.status).toBe(200);
    const echoed = response.data as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/user?per_page=5');
    expect(echoed.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(echoed.headers['x-tenant']).toBe('acme');
    // Its own bookkeeping stays with the proxy.
    for (const name of Object.keys(echoed.headers)) expect(name).not.toMatch(/^nango-|^base-url-override$|^connection-id$|^provider-config-key$/);
  });

  it('posts data, and sees a provider\'s refusal as axios reports any non-2xx', async () => {
    const nango = new Nango({ host: server.url, secretKey: SECRET_KEY });
    const posted = await nango.post({ endpoint: '/issues', providerConfigKey: 'api', connectionId: 'u1', data: { title: 'Hi' } });
    expect(JSON.parse((posted.data as { body: string }).body)).toEqual({ title: 'Hi' });
    api.handlers.set('/missing', (_request, res) => {
      res.statusCode = 404;
      res.end('{"message":"Not Found"}');
    });
    await expect(nango.get({ endpoint: '/missing', providerConfigKey: 'api', connectionId: 'u1' })).rejects.toMatchObject({ response: { status: 404 } });
  });
});
