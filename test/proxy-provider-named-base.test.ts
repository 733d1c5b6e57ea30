// A template whose API lives where the provider says for each connection
// (Salesforce's instance_url, Pipedrive's api_domain): the proxy goes to that
// origin, and only when it is an origin under the template's hosts, since the
// token goes wherever it says.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadCatalog, ProviderCatalog, providerTemplate } from '../server/providers/catalog.js';
import { startFakeApi, type FakeApi } from './support/fake-api.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let api: FakeApi;
let db: pg.Client;

const TOKEN = 'instance-token-0123456789';

beforeAll(async () => {
  api = await startFakeApi();
  const instance = providerTemplate({
    name: 'fake-instance',
    displayName: 'Fake instance API',
    authorizationUrl: 'https://login.example.com/authorize',
    tokenUrl: 'https://login.example.com/token',
    tokenResponseMetadata: ['instance_url'],
    proxy: { baseUrl: null, baseUrlFrom: { metadata: 'instance_url', hosts: ['127.0.0.1'], path: '/services/data' }, headers: {}, token: null },
  });
  server = await startTestServer({ catalog: new ProviderCatalog([...loadCatalog().list(), instance]) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ('sf', 'fake-instance', 'id', 'secret')`);
  const credentials = JSON.stringify({ type: 'OAUTH2', accessToken: TOKEN, refreshToken: null, tokenType: 'bearer', scopes: [], expiresAt: null, obtainedAt: new Date().toISOString(), raw: {} });
  const named: Record<string, unknown> = {
    mine: { instance_url: api.url },
    'other-host': { instance_url: api.url.replace('127.0.0.1', 'localhost') },
    elsewhere: { instance_url: 'https://evil.example' },
    'with-path': { instance_url: `${api.url}/x` },
    'with-userinfo': { instance_url: api.url.replace('http://', 'http://user:pass@') },
    none: {},
  };
  for (const [connectionId, metadata] of Object.entries(named)) {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, metadata) VALUES ('sf', $1, $2, $3)`, [connectionId, credentials, JSON.stringify(metadata)]);
  }
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
  await api?.close();
});

const call = (connectionId: string) => fetch(`${server.url}/proxy/v59.0/query?q=SELECT+Id`, { headers: { 'provider-config-key': 'sf', 'connection-id': connectionId } });

describe('an API origin the provider names per connection', () => {
  it('goes to the origin the provider named, under the template\'s path', async () => {
    const response = await call('mine');
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/services/data/v59.0/query?q=SELECT+Id');
    expect(echoed.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it.each(['other-host', 'elsewhere', 'with-path', 'with-userinfo'])('refuses an origin that is not one of the template\'s (%s), sending nothing', async (connectionId) => {
    const before = api.received.length;
    const response = await call(connectionId);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-nango-proxy-error')).toBe('provider_url_refused');
    expect(api.received.length).toBe(before);
  });

  it('says what is missing when the provider named none', async () => {
    const response = await call('none');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'provider_config_incomplete', message: expect.stringContaining('instance_url') });
  });
});
