// API keys and Basic credentials, read on every face in their shapes: REST
// `{ type: 'API_KEY', apiKey }` and `{ type: 'BASIC', username, password }`,
// GraphQL's ApiKeyCredentials and BasicCredentials, the Node client's
// getToken() and `nango token:get`. They never expire, so a read (even a
// forced refresh) calls no provider, and revoking them is not this service's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { runNango } from './support/cli.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startTestServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  // A token URL where nothing listens: any call to a provider would fail the read.
  await db.query(
    `INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('keys', 'custom', 'id', 'secret', 'http://127.0.0.1:9/authorize', 'http://127.0.0.1:9/token')`,
  );
  const obtainedAt = new Date().toISOString();
  for (const [connectionId, credentials] of [
    ['with-key', { type: 'API_KEY', apiKey: 'sk-live-0123456789', expiresAt: null, obtainedAt, raw: {} }],
    ['with-basic', { type: 'BASIC', username: 'ada@example.com', password: 'api-token-42', expiresAt: null, obtainedAt, raw: {} }],
  ] as const) {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('keys', $1, $2)`, [connectionId, JSON.stringify(credentials)]);
  }
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

describe('an API key and Basic credentials', () => {
  it('are read through REST in their shapes, a forced refresh calling no provider', async () => {
    for (const [connectionId, expected] of [
      ['with-key', { type: 'API_KEY', apiKey: 'sk-live-0123456789' }],
      ['with-basic', { type: 'BASIC', username: 'ada@example.com', password: 'api-token-42' }],
    ] as const) {
      const response = await fetch(`${server.url}/connection/${connectionId}?provider_config_key=keys&force_refresh=true`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { credentials: unknown; health: { status: string } };
      expect(body.credentials).toEqual(expected);
      expect(body.health.status).toBe('HEALTHY');
    }
  });

  it('are read through GraphQL as ApiKeyCredentials and BasicCredentials', async () => {
    const body = await server.graphql(`{
      key: connection(providerConfigKey: "keys", connectionId: "with-key") { credentials(forceRefresh: true) { __typename ... on ApiKeyCredentials { apiKey } } }
      basic: connection(providerConfigKey: "keys", connectionId: "with-basic") { credentials { __typename ... on BasicCredentials { username password } } }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.key.credentials).toEqual({ __typename: 'ApiKeyCredentials', apiKey: 'sk-live-0123456789' });
    expect(body.data.basic.credentials).toEqual({ __typename: 'BasicCredentials', username: 'ada@example.com', password: 'api-token-42' });
  });

  it('come back from the Node client getToken() and from nango token:get', async () => {
    const nango = new Nango({ host: server.url });
    expect(await nango.getToken('keys', 'with-key')).toBe('sk-live-0123456789');
    expect(await nango.getToken('keys', 'with-basic')).toEqual({ username: 'ada@example.com', password: 'api-token-42' });
    expect(await nango.getRawTokenResponse('keys', 'with-key')).toEqual({});
    const key = await runNango(['token:get', 'keys', 'with-key'], { NANGO_HOSTPORT: server.url });
    expect(key.stdout).toBe('sk-live-0123456789\n');
    const basic = await runNango(['token:get', 'keys', 'with-basic'], { NANGO_HOSTPORT: server.url });
    expect(basic.stdout).toBe('username: ada@example.com\npassword: api-token-42\n');
  });

  it('are not revoked here: delete with revoke says revocation_unsupported and keeps the connection; with force it goes', async () => {
    const refused = await fetch(`${server.url}/connection/with-key?provider_config_key=keys&revoke=true`, { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('revocation_unsupported');
    expect((await db.query(`SELECT 1 FROM connections WHERE connection_id = 'with-key'`)).rowCount).toBe(1);
    const forced = await fetch(`${server.url}/connection/with-key?provider_config_key=keys&revoke=true&force=true`, { method: 'DELETE' });
    expect(forced.status).toBeLessThan(300);
    expect((await db.query(`SELECT 1 FROM connections WHERE connection_id = 'with-key'`)).rowCount).toBe(0);
  });
});
