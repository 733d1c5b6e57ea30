import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openConnect, walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  server = await startTestServer({ port, env: { NANGO_PROVIDER_TIMEOUT_MS: '1500' } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const create = (input: Record<string, unknown>) =>
    server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input });
  const app = { clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret };
  for (const result of await Promise.all([
    create({ key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid', 'email'], ...app }),
    create({
      key: 'plain',
      provider: 'custom',
      authorizationUrl: `${issuer.issuer}/auth`,
      tokenUrl: `${issuer.issuer}/token`,
      scopes: ['email'],
      ...app,
    }),
    create({ key: 'wrong-secret', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: 'not-the-secret' }),
  ])) {
    expect(result.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});
beforeEach(() => {
  issuer.decision = 'approve';
});

function connectUrl(key: string, connectionId: string | null, extra = ''): string {
  const query = connectionId === null ? '' : `connection_id=${encodeURIComponent(connectionId)}`;
  return `${server.url}/oauth/connect/${encodeURIComponent(key)}?${query}${extra}`;
}

async function storedConnection(key: string, connectionId: string) {
  const { rows } = await db.query(
    'SELECT credentials, expires_at, connection_config, created_at, updated_at FROM connections WHERE provider_config_key = $1 AND connection_id = $2',
    [key, connectionId],
  );
  return rows[0] as { credentials: string; expires_at: Date | null; connection_config: Record<string, string>; created_at: Date; updated_at: Date } | undefined;
}

async function countRows(): Promise<{ connections: number; sessions: number }> {
  const { rows } = await db.query('SELECT (SELECT count(*) FROM connections)::int AS connections, (SELECT count(*) FROM oauth_sessions)::int AS sessions');
  return rows[0];
}

describe('the connect flow', () => {
  it('redirects to the provider with state, PKCE and the registered redirect_uri', async () => {
    const response = await fetch(connectUrl('idp', 'user-redirect'), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${issuer.issuer}/auth`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: TEST_CLIENT.client_id,
      redirect_uri: `${server.url}/oauth/callback`,
      response_type: 'code',
      scope: 'openid email',
      code_challenge_method: 'S256',
    });
    expect(location.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('stores the connection for an oidc config, then posts AUTHORIZATION_SUCEEDED', async () => {
    const result = await walkFlow(connectUrl('idp', 'user-42'));
    expect(result.status).toBe(200);
    expect(result.message).toEqual({ eventType: 'AUTHORIZATION_SUCEEDED', data: { connectionId: 'user-42', providerConfigKey: 'idp' } });
    expect(result.html).toContain('Connection established');

    const stored = await storedConnection('idp', 'user-42');
    expect(stored).toBeDefined();
    const credentials = JSON.parse(stored!.credentials);
    expect(credentials).toMatchObject({ type: 'OAUTH2', tokenType: expect.stringMatching(/^bearer$/i), scopes: ['openid', 'email'] });
    expect(credentials.accessToken).toEqual(expect.any(String));
    expect(credentials.refreshToken).toEqual(expect.any(String));
    expect(credentials.raw).toMatchObject({ access_token: credentials.accessToken, id_token: expect.any(String) });
    const expiresIn = stored!.expires_at!.getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);

    const read = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "user-42") { connectionId providerConfigKey provider connectionConfig metadata } }');
    expect(read.data.connection).toEqual({ connectionId: 'user-42', providerConfigKey: 'idp', provider: 'oidc', connectionConfig: {}, metadata: {} });
  });

  it('works for a custom config and keeps params[...] as the connection config', async () => {
    const result = await walkFlow(connectUrl('plain', 'user-7', '&params%5Bsubdomain%5D=acme'));
    expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const stored = await storedConnection('plain', 'user-7');
    expect(stored?.connection_config).toEqual({ subdomain: 'acme' });
    expect(JSON.parse(stored!.credentials).accessToken).toEqual(expect.any(String));
  });

  it('replaces the credentials when the same connection id authorizes again', async () => {
    await walkFlow(connectUrl('idp', 'user-again'));
    const first = await storedConnection('idp', 'user-again');
    const second = await walkFlow(connectUrl('idp', 'user-again'));
    expect(second.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const replaced = await storedConnection('idp', 'user-again');
    expect(JSON.parse(replaced!.credentials).accessToken).not.toBe(JSON.parse(first!.credentials).accessToken);
    expect(replaced!.created_at).toEqual(first!.created_at);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM connections WHERE connection_id = 'user-again'");
    expect(rows[0].n).toBe(1);
  });

  it('consumes the state: a replayed callback is rejected with invalid_state', async () => {
    const result = await walkFlow(connectUrl('idp', 'user-replay'));
    const callback = result.visited.at(-1)!;
    expect(callback).toContain('/oauth/callback?');
    const replay = await walkFlow(callback);
    expect(replay.status).toBe(400);
    expect(replay.message).toEqual({
      eventType: 'AUTHORIZATION_FAILED',
      data: { connectionId: null, providerConfigKey: null, error: { type: 'invalid_state', message: expect.stringContaining('expired, already used') } },
    });
  });

  it.each([
    ['an unknown state', '/oauth/callback?state=forged&code=abc'],
    ['no state at all', '/oauth/callback?code=abc'],
  ])('rejects a callback with %s', async (_what, path) => {
    const before = await countRows();
    const result = await walkFlow(`${server.url}${path}`);
    expect(result.status).toBe(400);
    expect(result.message?.data.error.type).toBe('invalid_state');
    expect(await countRows()).toEqual(before);
  });

  it('sweeps expired sessions when a new flow starts', async () => {
    await db.query("INSERT INTO oauth_sessions (state, provider_config_key, connection_id, expires_at) VALUES ('stale-state', 'idp', 'u', now() - interval '1 minute')");
    await fetch(connectUrl('idp', 'user-sweep'), { redirect: 'manual' });
    const { rows } = await db.query("SELECT count(*)::int AS n FROM oauth_sessions WHERE state = 'stale-state'");
    expect(rows[0].n).toBe(0);
  });

  it('rejects an expired state', async () => {
    const response = await fetch(connectUrl('idp', 'user-late'), { redirect: 'manual' });
    const state = new URL(response.headers.get('location')!).searchParams.get('state')!;
    await db.query("UPDATE oauth_sessions SET expires_at = now() - interval '1 second' WHERE state = $1", [state]);
    const result = await walkFlow(`${server.url}/oauth/callback?state=${state}&code=whatever`);
    expect(result.message?.data.error.type).toBe('invalid_state');
    expect(await storedConnection('idp', 'user-late')).toBeUndefined();
  });

  it('reports access_denied when the end user refuses, and stores nothing', async () => {
    issuer.decision = 'deny';
    const result = await walkFlow(connectUrl('idp', 'user-denied'));
    expect(result.status).toBe(403);
    expect(result.message).toEqual({
      eventType: 'AUTHORIZATION_FAILED',
      data: { connectionId: 'user-denied', providerConfigKey: 'idp', error: { type: 'access_denied', message: expect.stringContaining('denied') } },
    });
    expect(await storedConnection('idp', 'user-denied')).toBeUndefined();
  });

  it('reports token_error with the provider code when the code exchange fails', async () => {
    const result = await walkFlow(connectUrl('wrong-secret', 'user-bad-secret'));
    expect(result.status).toBe(502);
    expect(result.message?.data).toMatchObject({
      connectionId: 'user-bad-secret',
      providerConfigKey: 'wrong-secret',
      error: { type: 'token_error', message: expect.stringContaining('invalid_client') },
    });
    expect(result.html).not.toContain('not-the-secret');
    expect(await storedConnection('wrong-secret', 'user-bad-secret')).toBeUndefined();
  });

  it('rejects a callback without a code', async () => {
    const opened = await openConnect(connectUrl('idp', 'user-no-code'));
    const state = opened.location.searchParams.get('state')!;
    const result = await walkFlow(`${server.url}/oauth/callback?state=${state}`, { jar: opened.jar });
    expect(result.status).toBe(400);
    expect(result.message?.data).toMatchObject({ connectionId: 'user-no-code', error: { type: 'missing_code' } });
  });

  it.each([
    ['a missing connection_id', () => connectUrl('idp', null), 400, 'missing_connection_id'],
    ['an unknown provider config', () => connectUrl('nope', 'u1'), 404, 'unknown_provider_config'],
    ['an oversized connection id', () => connectUrl('idp', 'x'.repeat(256)), 400, 'invalid_input'],
  ])('answers %s with the failure page', async (_what, url, status, type) => {
    const before = await countRows();
    const result = await walkFlow(url());
    expect(result.status).toBe(status);
    expect(result.message?.eventType).toBe('AUTHORIZATION_FAILED');
    expect(result.message?.data.error.type).toBe(type);
    expect(await countRows()).toEqual(before);
  });

  it('ends with provider_timeout when the provider does not answer the token request', async () => {
    const silent = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
        input: {
          key: 'slow',
          provider: 'custom',
          authorizationUrl: `${issuer.issuer}/auth`,
          tokenUrl: `${silentUrl}/token`,
          scopes: ['email'],
          clientId: TEST_CLIENT.client_id,
          clientSecret: TEST_CLIENT.client_secret,
        },
      });
      const started = Date.now();
      const result = await walkFlow(connectUrl('slow', 'user-slow'));
      expect(result.status).toBe(504);
      expect(result.message?.data).toMatchObject({ connectionId: 'user-slow', error: { type: 'provider_timeout' } });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await storedConnection('slow', 'user-slow')).toBeUndefined();
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('ends with provider_unreachable when discovery cannot reach the issuer', async () => {
    const port = await freePort();
    await db.query("INSERT INTO provider_configs (key, provider, client_id, client_secret, scopes, issuer) VALUES ('gone', 'oidc', 'id', 'secret', '{openid}', $1)", [`http://127.0.0.1:${port}`]);
    const result = await walkFlow(connectUrl('gone', 'user-gone'));
    expect(result.status).toBe(502);
    expect(result.message?.data.error.type).toBe('provider_unreachable');
  });
});
