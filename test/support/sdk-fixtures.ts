// A server with a secret key and what the Python and Go SDK tests read from it:
// an API key connection made through GraphQL (its API on loopback, for the
// proxy), an OAuth 2 connection written as the flow would store it, and a
// webhook delivery the server really signed. The SDK tests get them as
// environment variables (NANGO_TEST_*).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { startFakeApi, type FakeApi } from './fake-api.js';
import { startTestServer, type TestServer } from './server.js';

export const SECRET_KEY = 'sk-sdk-tests-0123456789abcdef';

export interface SdkFixtures {
  apiKey: { providerConfigKey: string; connectionId: string; apiKey: string };
  oauth2: { providerConfigKey: string; connectionId: string; accessToken: string };
  webhook: { secret: string; headers: Record<string, string>; body: string };
}

export interface SdkServer {
  server: TestServer;
  /**
   * The API of the API key connection (its base URL is `${api.url}/v1`): it echoes every request as JSON
   * (method, url, headers, body), answers /v1/not-found with a 404 of its own and /v1/moved with a
   * 302 to /elsewhere (a client that followed it would ask the service for /elsewhere).
   */
  api: FakeApi;
  fixtures: SdkFixtures;
  /** What the SDK tests read: where the server is, its key, and the fixtures as JSON. */
  env: Record<string, string>;
}

export async function startSdkServer(): Promise<SdkServer> {
  const api = await startFakeApi();
  api.handlers.set('/v1/not-found', (_request, res) => {
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json');
    res.end('{"message":"Not Found"}');
  });
  api.handlers.set('/v1/moved', (_request, res) => {
    res.writeHead(302, { location: '/elsewhere' }).end();
  });
  const server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY } });
  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(`fixture operation failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };

  let received!: (delivery: SdkFixtures['webhook']) => void;
  const arrived = new Promise<SdkFixtures['webhook']>((resolve) => (received = resolve));
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(204).end();
      const header = (name: string) => String(req.headers[name]);
      received({ secret: '', headers: { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') }, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  try {
    const endpoint = await graphql('mutation ($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["provider_config.created"] }) { secret } }', {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    });
    // custom-api-key has no check request: the key is stored as given.
    await graphql('mutation ($baseUrl: String!) { createProviderConfig(input: { key: "keyed-api", provider: "custom-api-key", baseUrl: $baseUrl }) { key } }', { baseUrl: `${api.url}/v1` });
    const apiKey = 'sk-live-sdk-0123456789';
    await graphql('mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { connectionId } }', { input: { providerConfigKey: 'keyed-api', connectionId: 'with-key', apiKey } });
    // An OAuth 2 connection as the code flow stores it; a token URL where nothing listens proves no refresh is made.
    await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('oauth-app', 'custom', 'id', 'secret', 'http://127.0.0.1:9/authorize', 'http://127.0.0.1:9/token')`);
    const accessToken = 'oauth2-access-sdk-42';
    const credentials = { type: 'OAUTH2', accessToken, refreshToken: 'refresh-sdk', tokenType: 'bearer', scopes: ['read'], expiresAt: new Date(Date.now() + 24 * 3_600_000).toISOString(), obtainedAt: new Date().toISOString(), raw: { access_token: accessToken } };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('oauth-app', 'with-oauth2', $1)`, [JSON.stringify(credentials)]);
    const delivery = await arrived;
    const fixtures: SdkFixtures = {
      apiKey: { providerConfigKey: 'keyed-api', connectionId: 'with-key', apiKey },
      oauth2: { providerConfigKey: 'oauth-app', connectionId: 'with-oauth2', accessToken },
      webhook: { ...delivery, secret: endpoint.createWebhookEndpoint.secret },
    };
    return { server, api, fixtures, env: { NANGO_TEST_HOST: server.url, NANGO_TEST_SECRET_KEY: SECRET_KEY, NANGO_TEST_FIXTURES: JSON.stringify(fixtures) } };
  } catch (error) {
    await server.stop();
    await api.close();
    throw error;
  } finally {
    await db.end();
    receiver.closeAllConnections();
    receiver.close();
  }
}
