import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { createLogger } from '../server/log.js';
import { loadCatalog, ProviderCatalog, providerTemplate } from '../server/providers/catalog.js';
import { runNango } from './support/cli.js';
import { FAKE_CLIENT, fakeTemplates, startFakeProviders, type FakeProviders } from './support/fake-providers.js';
import { walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { startRevocationProvider, type RevocationProvider } from './support/revocation-provider.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const CLIENT = { id: 'rev-client-id', secret: 'rev-client-secret-5b1e77' };
const PROVIDER_TIMEOUT_MS = 1000;
const REVOKE = `mutation ($key: String!, $id: String!, $force: Boolean) {
  revokeAndDeleteConnection(providerConfigKey: $key, connectionId: $id, force: $force) { deleted revoked revocationError { code description } }
}`;

const logLines: string[] = [];
let server: TestServer;
let issuer: TestIssuer;
let provider: RevocationProvider;
let fakes: FakeProviders;
let db: pg.Client;
let nango: Nango;

beforeAll(async () => {
  const port = await freePort();
  const closedPort = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`] });
  provider = await startRevocationProvider();
  fakes = await startFakeProviders();
  const local = (name: string, fields: Partial<Parameters<typeof providerTemplate>[0]> = {}) =>
    providerTemplate({
      name,
      displayName: name,
      authorizationUrl: `${provider.url}/${name}/authorize`,
      tokenUrl: `${provider.url}/${name}/token`,
      revocationUrl: `${provider.url}/${name}/revoke`,
      ...fields,
    });
  const templates = [
    local('rev-body'),
    local('rev-header', { authorizationMethod: 'header' }),
    local('rev-norefresh'),
    // Nothing listens there: the provider is down.
    local('rev-down', { revocationUrl: `http://127.0.0.1:${closedPort}/revoke` }),
    local('rev-none', { revocationUrl: null }),
  ];
  const oauth1 = fakeTemplates(fakes.url).find((template) => template.name === 'fake-oauth1-hmac')!;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  server = await startTestServer({
    port,
    catalog: new ProviderCatalog([...loadCatalog().list(), ...templates, oauth1]),
    env: { NANGO_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS) },
    logger: createLogger('trace', sink),
  });
  nango = new Nango({ host: server.url });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const configs = [
    { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret },
    ...templates.map((template) => ({ key: template.name, provider: template.name, scopes: [], clientId: CLIENT.id, clientSecret: CLIENT.secret })),
    { key: 'oauth1', provider: oauth1.name, scopes: [], clientId: FAKE_CLIENT.id, clientSecret: FAKE_CLIENT.secret },
  ];
  for (const input of configs) {
    const created = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input });
    expect(created.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close(), provider?.close(), fakes?.close()]);
});

/** Every token the tests saw: none may appear in an error or the log. */
const tokensSeen = new Set<string>();

async function connect(key: string, connectionId: string) {
  const result = await walkFlow(`${server.url}/oauth/connect/${key}?connection_id=${connectionId}`);
  expect(result.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  const credentials = (await stored(key, connectionId))!;
  for (const token of [credentials.accessToken, credentials.refreshToken, credentials.oauthToken, credentials.oauthTokenSecret]) if (token) tokensSeen.add(token);
  return credentials;
}

async function stored(key: string, connectionId: string) {
  const { rows } = await db.query('SELECT credentials FROM connections WHERE provider_config_key = $1 AND connection_id = $2', [key, connectionId]);
  return rows[0] ? (JSON.parse(rows[0].credentials) as { accessToken: string; refreshToken: string | null; oauthToken?: string; oauthTokenSecret?: string }) : undefined;
}

async function revokeAndDelete(key: string, id: string, force?: boolean) {
  return server.graphql(REVOKE, { key, id, ...(force === undefined ? {} : { force }) });
}

function expectNoSecretIn(text: string) {
  for (const token of tokensSeen) expect(text).not.toContain(token);
  expect(text).not.toContain(CLIENT.secret);
}

describe('revoke on delete', () => {
  it('revokes the grant at the provider, then deletes: the provider refuses the old refresh token afterwards', async () => {
    // Control: a plain deletion leaves the grant alive at the provider.
    const kept = await connect('idp', 'plain-user');
    expect((await server.graphql('mutation { deleteConnection(providerConfigKey: "idp", connectionId: "plain-user") }')).data).toEqual({ deleteConnection: true });
    expect(await issuer.presentRefreshToken(kept.refreshToken!)).toEqual({ status: 200 });

    const revoked = await connect('idp', 'revoked-user');
    const body = await revokeAndDelete('idp', 'revoked-user');
    expect(body.errors).toBeUndefined();
    expect(body.data.revokeAndDeleteConnection).toEqual({ deleted: true, revoked: true, revocationError: null });
    expect(issuer.revocations.at(-1)).toEqual({ tokenTypeHint: 'refresh_token', status: 200 });
    expect(await stored('idp', 'revoked-user')).toBeUndefined();
    expect(await issuer.presentRefreshToken(revoked.refreshToken!)).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('sends the refresh token with the client authentication the template declares: Basic header (REST) or the body', async () => {
    const header = await connect('rev-header', 'u-header');
    const response = await fetch(`${server.url}/connection/u-header?provider_config_key=rev-header&revoke=true`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ deleted: true, revoked: true, revocation_error: null });
    expect(provider.revocations.at(-1)).toEqual({
      template: 'rev-header',
      form: { token: header.refreshToken, token_type_hint: 'refresh_token' },
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
    });
    expect(await stored('rev-header', 'u-header')).toBeUndefined();

    // A 204 counts as accepted (Reddit answers so).
    provider.answer = 'no-content';
    const body = await connect('rev-body', 'u-body');
    expect((await revokeAndDelete('rev-body', 'u-body')).data.revokeAndDeleteConnection).toMatchObject({ deleted: true, revoked: true });
    expect(provider.revocations.at(-1)).toEqual({
      template: 'rev-body',
      form: { token: body.refreshToken, token_type_hint: 'refresh_token', client_id: CLIENT.id, client_secret: CLIENT.secret },
      authorization: undefined,
    });
    provider.answer = 'ok';
  });

  it('revokes again what a refresh rotated while the first revocation was under way, before deleting', async () => {
    const first = await connect('rev-body', 'u-rotating');
    let rotated: string | undefined;
    provider.beforeAnswer = async () => {
      // A reader forces a refresh while the provider is still revoking the old token.
      const read = await fetch(`${server.url}/connection/u-rotating?provider_config_key=rev-body&force_refresh=true`);
      rotated = ((await read.json()) as any).credentials.refresh_token;
      tokensSeen.add(rotated!);
    };
    const before = provider.revocations.length;
    expect((await revokeAndDelete('rev-body', 'u-rotating')).data.revokeAndDeleteConnection).toMatchObject({ deleted: true, revoked: true });
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(first.refreshToken);
    expect(provider.revocations.slice(before).map((request) => request.form.token)).toEqual([first.refreshToken, rotated]);
    expect(await stored('rev-body', 'u-rotating')).toBeUndefined();
  });

  it('sends the access token when the connection has no refresh token', async () => {
    const credentials = await connect('rev-norefresh', 'u-access');
    expect(credentials.refreshToken).toBeNull();
    expect((await revokeAndDelete('rev-norefresh', 'u-access')).data.revokeAndDeleteConnection.revoked).toBe(true);
    expect(provider.revocations.at(-1)?.form).toMatchObject({ token: credentials.accessToken, token_type_hint: 'access_token' });
  });

  it('keeps the connection when the provider refuses, with revocation_failed that repeats neither token nor secret', async () => {
    await connect('rev-body', 'u-refused');
    provider.answer = 'refuse';
    try {
      const body = await revokeAndDelete('rev-body', 'u-refused');
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('revocation_failed');
      expect(body.errors?.[0]?.message).toContain('invalid_client');
      expectNoSecretIn(JSON.stringify(body));
      const rest = await fetch(`${server.url}/connection/u-refused?provider_config_key=rev-body&revoke=true`, { method: 'DELETE' });
      expect(rest.status).toBe(502);
      const restBody = await rest.text();
      expect(JSON.parse(restBody).error.code).toBe('revocation_failed');
      expectNoSecretIn(restBody);
    } finally {
      provider.answer = 'ok';
    }
    expect(await stored('rev-body', 'u-refused')).toBeDefined();
  });

  it('keeps the connection when the provider is down or does not answer in time', async () => {
    await connect('rev-down', 'u-down');
    const down = await revokeAndDelete('rev-down', 'u-down');
    expect(down.errors?.[0]?.extensions?.code).toBe('revocation_failed');
    expect(down.errors?.[0]?.message).toContain('provider_unreachable');
    expect(await stored('rev-down', 'u-down')).toBeDefined();

    await connect('rev-body', 'u-slow');
    provider.answer = 'hang';
    try {
      const started = Date.now();
      const slow = await revokeAndDelete('rev-body', 'u-slow');
      expect(slow.errors?.[0]?.extensions?.code).toBe('revocation_failed');
      expect(slow.errors?.[0]?.message).toContain('provider_timeout');
      expect(Date.now() - started).toBeLessThan(PROVIDER_TIMEOUT_MS + 2000);
    } finally {
      provider.answer = 'ok';
    }
    expect(await stored('rev-body', 'u-slow')).toBeDefined();
  });

  it('deletes anyway when forced, reporting why the grant was not revoked (Node client)', async () => {
    await connect('rev-down', 'u-forced');
    await expect(nango.deleteConnection('rev-down', 'u-forced', { revoke: true })).rejects.toMatchObject({ code: 'revocation_failed' });
    expect(await stored('rev-down', 'u-forced')).toBeDefined();
    const result = await nango.deleteConnection('rev-down', 'u-forced', { revoke: true, force: true });
    expect(result).toMatchObject({ deleted: true, revoked: false, revocationError: { code: 'provider_unreachable' } });
    expect(await stored('rev-down', 'u-forced')).toBeUndefined();
  });

  it('answers revocation_unsupported for a template without a revocation endpoint and for OAuth 1.0a, unless forced (CLI)', async () => {
    await connect('rev-none', 'u-none');
    const env = { NANGO_HOSTPORT: server.url };
    const refused = await runNango(['connection:delete', 'rev-none', 'u-none', '--revoke', '--json'], env);
    expect(refused.code).not.toBe(0);
    expect(JSON.parse(refused.stdout).error.code).toBe('revocation_unsupported');
    expect(await stored('rev-none', 'u-none')).toBeDefined();
    const forced = await runNango(['connection:delete', 'rev-none', 'u-none', '--revoke', '--force', '--json'], env);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ deleted: true, revoked: false, revocationError: { code: 'revocation_unsupported' } });
    expect(await stored('rev-none', 'u-none')).toBeUndefined();

    await connect('oauth1', 'u-oauth1');
    const oauth1 = await fetch(`${server.url}/connection/u-oauth1?provider_config_key=oauth1&revoke=true`, { method: 'DELETE' });
    expect(oauth1.status).toBe(400);
    expect(((await oauth1.json()) as any).error.code).toBe('revocation_unsupported');
    expect(await stored('oauth1', 'u-oauth1')).toBeDefined();
  });

  it('deletes without revoking as before: the two-argument client call, REST 204, and force alone is refused', async () => {
    await connect('rev-body', 'u-plain');
    const before = provider.revocations.length;
    expect(await nango.deleteConnection('rev-body', 'u-plain')).toEqual({ deleted: true, revoked: false, revocationError: null });
    await connect('rev-body', 'u-plain-rest');
    expect((await fetch(`${server.url}/connection/u-plain-rest?provider_config_key=rev-body`, { method: 'DELETE' })).status).toBe(204);
    expect(provider.revocations.length).toBe(before);
    const forceAlone = await fetch(`${server.url}/connection/u-plain-rest?provider_config_key=rev-body&force=true`, { method: 'DELETE' });
    expect(forceAlone.status).toBe(400);
    const missing = await revokeAndDelete('rev-body', 'nobody');
    expect(missing.errors?.[0]?.extensions?.code).toBe('unknown_connection');
  });

  it('writes no token or client secret into its log', () => {
    expect(tokensSeen.size).toBeGreaterThan(10);
    expectNoSecretIn(logLines.join('\n'));
  });
});
