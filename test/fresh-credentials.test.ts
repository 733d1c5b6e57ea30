import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango, NangoError } from '../clients/node/index.js';
import { runNango } from './support/cli.js';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

// 2-second access tokens: the refresh window (at most half the lifetime) opens after 1 s.
const TOKEN_TTL_SECONDS = 2;
const CREDENTIALS = '{ connection(providerConfigKey: $key, connectionId: $id) { credentials { ... on OAuth2Credentials { accessToken refreshToken expiresAt } } } }';
const READ = `query Read($key: String!, $id: String!) ${CREDENTIALS}`;

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;
let callbackUrl: string;

beforeAll(async () => {
  const port = await freePort();
  callbackUrl = `http://localhost:${port}/oauth/callback`;
  issuer = await startTestIssuer({ redirectUris: [callbackUrl], accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  // Refreshes here are the readers': the scheduler's refreshing ahead is tested in refresh-ahead.test.ts.
  server = await startTestServer({ port, env: { NANGO_REFRESH_COOLDOWN_SECONDS: '30', NANGO_REFRESH_CONCURRENCY: '0' } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid', 'email'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

async function connect(connectionId: string) {
  const result = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=${connectionId}`);
  expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  return stored(connectionId);
}

async function stored(connectionId: string) {
  const { rows } = await db.query('SELECT credentials, expires_at FROM connections WHERE connection_id = $1', [connectionId]);
  return JSON.parse(rows[0].credentials) as { accessToken: string; refreshToken: string; expiresAt: string };
}

/**
 * Exactly one refresh per expiry: the stale refresh token was presented once,
 * and no refresh failed (a second use of a rotated token would, with invalid_grant).
 * With 2-second tokens a slow machine may legitimately refresh the new token
 * again before the readers are done; that is a later expiry, not a double refresh.
 */
function expectOneRefreshOf(refreshToken: string, before: { attempts: number; successes: number }) {
  const presented = issuer.refreshTokensPresented.slice(before.attempts);
  expect(presented.filter((token) => token === refreshToken)).toHaveLength(1);
  expect(new Set(presented).size).toBe(presented.length);
  expect(issuer.refreshAttempts - before.attempts).toBe(issuer.refreshSuccesses - before.successes);
}

const waitUntilStale = () => new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS / 2) * 1000 + 150));

async function rest(baseUrl: string, connectionId: string, query = '') {
  const response = await fetch(`${baseUrl}/connection/${connectionId}?provider_config_key=idp${query}`);
  return { status: response.status, body: (await response.json()) as any };
}

describe('fresh credentials', () => {
  it('returns a fresh token as it is, without calling the provider', async () => {
    const original = await connect('fresh-user');
    const before = issuer.refreshAttempts;
    const body = await server.graphql(READ, { key: 'idp', id: 'fresh-user' });
    expect(body.data.connection.credentials.accessToken).toBe(original.accessToken);
    expect(issuer.refreshAttempts).toBe(before);
  });

  it('refreshes an expired token exactly once when 50 readers arrive together through GraphQL and REST', async () => {
    const original = await connect('crowd-user');
    await waitUntilStale();
    const before = { attempts: issuer.refreshAttempts, successes: issuer.refreshSuccesses };
    const reads = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        if (index % 2 === 0) {
          const body = await server.graphql(READ, { key: 'idp', id: 'crowd-user' });
          expect(body.errors).toBeUndefined();
          return body.data.connection.credentials.accessToken as string;
        }
        const { status, body } = await rest(server.url, 'crowd-user');
        expect(status).toBe(200);
        return body.credentials.access_token as string;
      }),
    );
    expectOneRefreshOf(original.refreshToken, before);
    expect(reads).not.toContain(original.accessToken);
    expect((await stored('crowd-user')).refreshToken).not.toBe(original.refreshToken); // rotated
  });

  it('refreshes exactly once when readers are spread over three server processes on one database', async () => {
    const instances: ServerProcess[] = [];
    try {
      instances.push(
        ...(await Promise.all(
          [1, 2, 3].map(() => spawnServer({ DATABASE_URL: server.database.url, NANGO_CALLBACK_URL: callbackUrl, NANGO_REFRESH_CONCURRENCY: '0' })),
        )),
      );
      const original = await connect('spread-user');
      await waitUntilStale();
      const before = { attempts: issuer.refreshAttempts, successes: issuer.refreshSuccesses };
      const reads = await Promise.all(
        Array.from({ length: 30 }, async (_, index) => {
          const { status, body } = await rest(instances[index % 3]!.url, 'spread-user');
          expect(status).toBe(200);
          return body.credentials.access_token as string;
        }),
      );
      expectOneRefreshOf(original.refreshToken, before);
      expect(reads).not.toContain(original.accessToken);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
    }
  }, 60_000);

  it('answers refresh_failed with invalid_grant when the grant was revoked, keeps the tokens, and waits out the cooldown', async () => {
    const original = await connect('revoked-user');
    await issuer.revoke(original.refreshToken);
    await waitUntilStale();
    const attempts = issuer.refreshAttempts;

    const failed = await server.graphql(READ, { key: 'idp', id: 'revoked-user' });
    expect(failed.errors?.[0]?.extensions).toMatchObject({ code: 'refresh_failed', providerError: 'invalid_grant' });
    expect(failed.errors?.[0]?.message).toMatch(/^Refreshing the credentials failed \(invalid_grant\)/);
    expect(JSON.stringify(failed)).not.toContain(original.refreshToken);
    expect(issuer.refreshAttempts - attempts).toBe(1);
    expect(await stored('revoked-user')).toEqual(original);

    const recorded = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "revoked-user") { lastRefreshSuccess lastRefreshFailure { at code description } } }');
    expect(recorded.data.connection).toMatchObject({ lastRefreshSuccess: null, lastRefreshFailure: { code: 'invalid_grant', at: expect.any(String) } });

    // Within the cooldown: the same answer, and the provider is left alone.
    const again = await rest(server.url, 'revoked-user');
    expect(again.status).toBe(502);
    expect(again.body.error).toEqual({ code: 'refresh_failed', message: expect.stringContaining('invalid_grant') });
    expect(issuer.refreshAttempts - attempts).toBe(1);
  });

  it('forces a refresh on request and records its success', async () => {
    const original = await connect('forced-user');
    const { body } = await rest(server.url, 'forced-user', '&force_refresh=true');
    expect(body.credentials.access_token).not.toBe(original.accessToken);
    const read = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "forced-user") { lastRefreshSuccess lastRefreshFailure { code } } }');
    expect(read.data.connection.lastRefreshFailure).toBeNull();
    expect(Date.now() - new Date(read.data.connection.lastRefreshSuccess).getTime()).toBeLessThan(10_000);
  });

  it('answers the Nango 0.x REST shape', async () => {
    await connect('rest-user');
    const { status, body } = await rest(server.url, 'rest-user');
    expect(status).toBe(200);
    expect(body).toEqual({
      id: expect.any(String),
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
      updated_at: expect.stringMatching(/Z$/),
      provider_config_key: 'idp',
      connection_id: 'rest-user',
      credentials: {
        type: 'OAUTH2',
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_at: expect.stringMatching(/Z$/),
        raw: expect.objectContaining({ access_token: body.credentials.access_token }),
      },
      connection_config: {},
      metadata: {},
      health: { status: 'HEALTHY', since: expect.stringMatching(/Z$/), code: null, description: null, next_attempt_at: null },
    });
    const listed = await (await fetch(`${server.url}/connection`)).json();
    expect(listed.connections).toContainEqual({ id: body.id, connection_id: 'rest-user', provider: 'idp', created: body.created_at });
  });

  it('answers REST errors as { error: { code, message } }', async () => {
    const missingKey = await fetch(`${server.url}/connection/rest-user`);
    expect(missingKey.status).toBe(400);
    expect(await missingKey.json()).toEqual({ error: { code: 'invalid_input', message: 'provider_config_key: is required' } });
    const unknown = await rest(server.url, 'nobody');
    expect(unknown).toEqual({ status: 404, body: { error: { code: 'unknown_connection', message: 'No connection "nobody" for provider config "idp".' } } });
    const badFlag = await rest(server.url, 'rest-user', '&force_refresh=maybe');
    expect(badFlag.body.error.code).toBe('invalid_input');
  });

  it('accepts the Authorization headers Nango 0.x clients send', async () => {
    for (const authorization of [`Basic ${Buffer.from('some-secret-key:').toString('base64')}`, 'Bearer some-secret-key']) {
      const response = await fetch(`${server.url}/connection/rest-user?provider_config_key=idp`, { headers: { authorization } });
      expect(response.status).toBe(200);
    }
  });

  it('deletes a connection over REST', async () => {
    await connect('rest-doomed');
    const deleted = await fetch(`${server.url}/connection/rest-doomed?provider_config_key=idp`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await rest(server.url, 'rest-doomed')).status).toBe(404);
  });
});

describe('a provider that does not rotate refresh tokens', () => {
  let provider: http.Server;
  let issued = 0;
  let down = false;

  beforeAll(async () => {
    // Answers every refresh with a new access token and no refresh token.
    provider = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        if (down) {
          res.statusCode = 503;
          res.setHeader('content-type', 'text/html');
          res.end('<html><body>Service Unavailable</body></html>');
          return;
        }
        res.setHeader('content-type', 'application/json');
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'keep-me') {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        issued += 1;
        res.end(JSON.stringify({ access_token: `access-${issued}`, token_type: 'bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    await db.query(
      `INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('static', 'custom', 'id', 'secret', $1, $2)`,
      [`${url}/authorize`, `${url}/token`],
    );
    const credentials = { type: 'OAUTH2', accessToken: 'old-access', refreshToken: 'keep-me', tokenType: 'bearer', scopes: [], expiresAt: new Date(Date.now() - 1000).toISOString(), obtainedAt: new Date(Date.now() - 3_600_000).toISOString(), raw: {} };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('static', 'kept', $1, now() - interval '1 second')`, [JSON.stringify(credentials)]);
    const forever = { ...credentials, accessToken: 'forever', expiresAt: null };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('static', 'no-expiry', $1)`, [JSON.stringify(forever)]);
    // Inside the refresh window (15 minutes) but valid for 5 more minutes.
    const soon = { ...credentials, accessToken: 'still-valid', expiresAt: new Date(Date.now() + 5 * 60_000).toISOString() };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('static', 'outage-valid', $1, $2)`, [JSON.stringify(soon), soon.expiresAt]);
    const expired = { ...credentials, accessToken: 'expired' };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('static', 'outage-expired', $1, $2)`, [JSON.stringify(expired), expired.expiresAt]);
  });
  afterAll(async () => {
    await new Promise((resolve) => provider?.close(resolve));
  });

  it('keeps the old refresh token when the provider returns none', async () => {
    const body = await server.graphql(READ, { key: 'static', id: 'kept' });
    expect(body.data.connection.credentials).toMatchObject({ accessToken: 'access-1', refreshToken: 'keep-me' });
    const again = await server.graphql('query ($key: String!, $id: String!) { connection(providerConfigKey: $key, connectionId: $id) { credentials(forceRefresh: true) { ... on OAuth2Credentials { accessToken refreshToken } } } }', { key: 'static', id: 'kept' });
    expect(again.data.connection.credentials).toEqual({ accessToken: 'access-2', refreshToken: 'keep-me' });
  });

  it('keeps serving a token that still works while the provider is down, and fails once it has expired', async () => {
    down = true;
    try {
      const valid = await server.graphql(`query ($key: String!, $id: String!) { connection(providerConfigKey: $key, connectionId: $id) { credentials { ... on OAuth2Credentials { accessToken } } lastRefreshFailure { code } } }`, { key: 'static', id: 'outage-valid' });
      expect(valid.errors).toBeUndefined();
      expect(valid.data.connection.credentials.accessToken).toBe('still-valid');
      const recorded = await server.graphql('{ connection(providerConfigKey: "static", connectionId: "outage-valid") { lastRefreshFailure { code } } }');
      expect(recorded.data.connection.lastRefreshFailure).toEqual({ code: 'bad_response' });

      const expired = await server.graphql(READ, { key: 'static', id: 'outage-expired' });
      expect(expired.errors?.[0]?.extensions).toMatchObject({ code: 'refresh_failed', providerError: 'bad_response' });
    } finally {
      down = false;
    }
  });

  it('returns tokens without an expiry as they are, unless forced', async () => {
    const body = await server.graphql(READ, { key: 'static', id: 'no-expiry' });
    expect(body.data.connection.credentials).toEqual({ accessToken: 'forever', refreshToken: 'keep-me', expiresAt: null });
    const before = issued;
    await server.graphql(READ, { key: 'static', id: 'no-expiry' });
    expect(issued).toBe(before);
  });
});

describe('the Node client and nango token:get', () => {
  it('gets a fresh token, the raw response and the connection through the Node client', async () => {
    await connect('client-user');
    const nango = new Nango({ host: server.url });
    const token = await nango.getToken('idp', 'client-user');
    expect(typeof token).toBe('string');
    // 2-second tokens: the raw response may already be a newer one than `token`.
    expect(await nango.getRawTokenResponse('idp', 'client-user')).toMatchObject({ access_token: expect.any(String), token_type: expect.any(String), expires_in: 2 });
    expect(await nango.getConnection('idp', 'client-user')).toMatchObject({ connectionId: 'client-user', provider: 'oidc' });
    const page = await nango.listConnections({ providerConfigKey: 'idp', first: 1 });
    expect(page.connections).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    await expect(nango.getToken('idp', 'nobody')).rejects.toMatchObject({ name: 'NangoError', code: 'unknown_connection' });
    await expect(nango.getToken('idp', 'nobody')).rejects.toBeInstanceOf(NangoError);
  });

  it('prints a fresh token with nango token:get, and the credentials with --json', async () => {
    await connect('cli-user');
    const token = await runNango(['token:get', 'idp', 'cli-user'], { NANGO_HOSTPORT: server.url });
    expect(token.code).toBe(0);
    const accessToken = token.stdout.trim();
    expect(accessToken).toBe((await stored('cli-user')).accessToken);
    // 2-second tokens: by now this read may already have refreshed them, so compare with what is stored after it.
    const json = await runNango(['token:get', 'idp', 'cli-user', '--json'], { NANGO_HOSTPORT: server.url });
    expect(JSON.parse(json.stdout)).toMatchObject({
      __typename: 'OAuth2Credentials',
      accessToken: (await stored('cli-user')).accessToken,
      refreshToken: expect.any(String),
    });
    const missing = await runNango(['token:get', 'idp', 'nobody'], { NANGO_HOSTPORT: server.url });
    expect(missing).toMatchObject({ code: 1, stderr: '❌ No connection "nobody" for provider config "idp".\n' });
  });
});
