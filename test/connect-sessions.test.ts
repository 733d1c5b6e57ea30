// Connect sessions as a backend uses them: created over GraphQL, REST, the Node
// client and the CLI; the token shown once and stored only as a hash; the
// params the backend fixed applied to the flow and out of the browser's reach.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { runNango } from './support/cli.js';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-sessions-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  server = await startTestServer({ port, env: { NANGO_SECRET_KEY: SECRET_KEY } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const created = await graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
  });
  expect(created.errors).toBeUndefined();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

async function graphql(query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

const CREATE = 'mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { token expiresAt connectUrl } }';

describe('createConnectSession', () => {
  it('returns a token that lives 30 minutes, of which only the hash is stored', async () => {
    const before = Date.now();
    const { data, errors } = await graphql(CREATE, { input: { providerConfigKey: 'idp', connectionId: 'u-1', endUser: { id: 'user-1', email: 'ada@example.com', displayName: 'Ada' } } });
    expect(errors).toBeUndefined();
    const session = data.createConnectSession;
    expect(session.token).toMatch(/^ncs_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(session.expiresAt) - before).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(session.expiresAt) - before).toBeLessThan(31 * 60_000);
    const { rows } = await db.query('SELECT to_jsonb(s)::text AS row FROM connect_sessions s');
    expect(rows).toHaveLength(1);
    expect(rows[0].row).not.toContain(session.token);
    expect(rows[0].row).not.toContain(session.token.slice(4));
    expect(JSON.parse(rows[0].row).end_user).toEqual({ id: 'user-1', email: 'ada@example.com', displayName: 'Ada' });
  });

  it.each([
    ['an unknown config', { providerConfigKey: 'nope', connectionId: 'u' }, 'unknown_provider_config'],
    ['an empty connection id', { providerConfigKey: 'idp', connectionId: ' ' }, 'missing_connection_id'],
    ['an end user without an id', { providerConfigKey: 'idp', connectionId: 'u', endUser: { id: '' } }, 'invalid_input'],
    ['an email that is not one', { providerConfigKey: 'idp', connectionId: 'u', endUser: { id: 'x', email: 'not-an-email' } }, 'invalid_input'],
    ['params that are not strings', { providerConfigKey: 'idp', connectionId: 'u', params: { subdomain: 42 } }, 'BAD_USER_INPUT'],
    ['params as a list', { providerConfigKey: 'idp', connectionId: 'u', params: ['a'] }, 'BAD_USER_INPUT'],
    ['a param name that is not one', { providerConfigKey: 'idp', connectionId: 'u', params: { 'no spaces': 'x' } }, 'invalid_input'],
  ])('refuses %s with a stable code, storing nothing', async (_name, input, code) => {
    const count = async () => (await db.query('SELECT count(*)::int AS n FROM connect_sessions')).rows[0].n;
    const before = await count();
    const { errors } = await graphql(CREATE, { input });
    expect(errors?.[0]?.extensions?.code).toBe(code);
    expect(await count()).toBe(before);
  });

  it('is refused without the secret key', async () => {
    const response = await fetch(`${server.url}/connect/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"provider_config_key":"idp","connection_id":"u"}' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('missing_auth_header');
  });
});

describe('the same from REST, the Node client and the CLI', () => {
  it('POST /connect/sessions answers 201 with { data: { token, expires_at, connect_url } }', async () => {
    const response = await fetch(`${server.url}/connect/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ provider_config_key: 'idp', connection_id: 'rest-1', end_user: { id: 'e-1', display_name: 'Grace' } }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { data } = (await response.json()) as { data: { token: string; expires_at: string; connect_url: string } };
    expect(data.connect_url).toBe(`${server.url}/oauth/connect/idp?connection_id=rest-1&connect_session_token=${data.token}`);
    expect((await walkFlow(data.connect_url)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  });

  it('nango.createConnectSession()', async () => {
    const session = await new Nango({ host: server.url, secretKey: SECRET_KEY }).createConnectSession({ providerConfigKey: 'idp', connectionId: 'node-1' });
    expect((await walkFlow(session.connectUrl)).message?.data).toEqual({ providerConfigKey: 'idp', connectionId: 'node-1' });
  });

  it('nango connect-session:create', async () => {
    const run = await runNango(['connect-session:create', 'idp', 'cli-1', '--end-user-id', 'e-9', '--param', 'team=blue', '--json'], { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(run.code).toBe(0);
    const session = JSON.parse(run.stdout) as { token: string; connectUrl: string };
    expect((await walkFlow(session.connectUrl)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const { rows } = await db.query("SELECT connection_config FROM connections WHERE connection_id = 'cli-1'");
    expect(rows[0].connection_config).toEqual({ team: 'blue' });
    const human = await runNango(['connect-session:create', 'idp', 'cli-2'], { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(human.stdout).toMatch(/^token: +ncs_/m);
    expect(human.stdout).toContain(`connect URL: ${server.url}/oauth/connect/idp?connection_id=cli-2&connect_session_token=ncs_`);
  });
});

describe('params the backend fixed', () => {
  it('are applied to the connection, and the browser may add others but not change them', async () => {
    const { data } = await graphql(CREATE, { input: { providerConfigKey: 'idp', connectionId: 'fixed-1', params: { team: 'blue' } } });
    const { connectUrl } = data.createConnectSession;
    const changed = await walkFlow(`${connectUrl}&params%5Bteam%5D=red`);
    expect(changed.status).toBe(400);
    expect(changed.message?.data.error).toMatchObject({ type: 'invalid_input', message: expect.stringContaining('params[team]') });
    const added = await walkFlow(`${connectUrl}&params%5Bteam%5D=blue&params%5Bregion%5D=eu`);
    expect(added.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const { rows } = await db.query("SELECT connection_config FROM connections WHERE connection_id = 'fixed-1'");
    expect(rows[0].connection_config).toEqual({ team: 'blue', region: 'eu' });
  });

  it('a session re-authorizes an existing connection, replacing its tokens', async () => {
    const tokens = async () => (await db.query("SELECT credentials FROM connections WHERE connection_id = 'fixed-1'")).rows[0].credentials as string;
    const before = await tokens();
    const { data } = await graphql(CREATE, { input: { providerConfigKey: 'idp', connectionId: 'fixed-1' } });
    expect((await walkFlow(data.createConnectSession.connectUrl)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect(await tokens()).not.toBe(before);
  });
});
