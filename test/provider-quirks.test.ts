import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Nango } from '../clients/node/index.js';
import { loadCatalog, ProviderCatalog } from '../server/providers/catalog.js';
import { runNango } from './support/cli.js';
import { FAKE_CLIENT, fakeTemplates, startFakeProviders, type FakeProviders } from './support/fake-providers.js';
import { walkFlow } from './support/flow-client.js';
import { startTestServer, type TestServer } from './support/server.js';

let fakes: FakeProviders;
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  fakes = await startFakeProviders();
  const templates = fakeTemplates(fakes.url);
  server = await startTestServer({ catalog: new ProviderCatalog([...loadCatalog().list(), ...templates]) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  for (const template of templates) {
    const created = await server.graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
      input: { key: template.name, provider: template.name, clientId: FAKE_CLIENT.id, clientSecret: FAKE_CLIENT.secret, scopes: ['read', 'write'] },
    });
    expect(created.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), fakes?.close()]);
});

async function connect(key: string, connectionId = 'user-1') {
  const result = await walkFlow(`${server.url}/oauth/connect/${key}?connection_id=${connectionId}`);
  return result.message;
}

async function stored(key: string, connectionId = 'user-1') {
  const { rows } = await db.query('SELECT credentials, expires_at, metadata FROM connections WHERE provider_config_key = $1 AND connection_id = $2', [key, connectionId]);
  if (!rows[0]) return undefined;
  return { credentials: JSON.parse(rows[0].credentials), expiresAt: rows[0].expires_at as Date | null, metadata: rows[0].metadata as Record<string, unknown> };
}

describe('OAuth 2 quirks of real providers', () => {
  it('keeps a token_type that is not bearer (Slack bot tokens)', async () => {
    expect((await connect('fake-slack'))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const { credentials } = (await stored('fake-slack'))!;
    expect(credentials).toMatchObject({ accessToken: 'xoxb-bot-token', tokenType: 'bot', scopes: ['chat:write'] });
    expect(credentials.raw.authed_user).toEqual({ id: 'U1', access_token: 'xoxp-user-token', token_type: 'user' });
  });

  it('takes the user token nested under authed_user when the template says so', async () => {
    expect((await connect('fake-slack-user'))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await stored('fake-slack-user'))!.credentials.accessToken).toBe('xoxp-only-user');
  });

  it('treats an HTTP 200 carrying an error (GitHub) as the error it is', async () => {
    const message = await connect('fake-github-error');
    expect(message?.data.error).toEqual({ type: 'token_error', message: expect.stringContaining('bad_verification_code') });
    expect(await stored('fake-github-error')).toBeUndefined();
  });

  it('reads a form-encoded token response', async () => {
    expect((await connect('fake-form'))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await stored('fake-form'))!.credentials).toMatchObject({ accessToken: 'form-token', scopes: ['repo', 'user'], raw: { scope: 'repo,user' } });
  });

  it('stores no expiry when the provider gives none', async () => {
    await connect('fake-no-expiry');
    const { credentials, expiresAt } = (await stored('fake-no-expiry'))!;
    expect(credentials.expiresAt).toBeNull();
    expect(expiresAt).toBeNull();
  });

  it('reads expires_in given as a string, and an absolute expires_at', async () => {
    await connect('fake-string-expiry');
    const fromString = (await stored('fake-string-expiry'))!.expiresAt!.getTime() - Date.now();
    expect(fromString).toBeGreaterThan(3500_000);
    expect(fromString).toBeLessThanOrEqual(3600_000);
    await connect('fake-absolute-expiry');
    const absolute = (await stored('fake-absolute-expiry'))!.expiresAt!.getTime() - Date.now();
    expect(absolute).toBeGreaterThan(7100_000);
    expect(absolute).toBeLessThanOrEqual(7200_000);
  });

  it('refreshes on another URL with the extra params it needs, keeping the refresh token it did not renew', async () => {
    await connect('fake-refresh-elsewhere');
    const body = await server.graphql('{ connection(providerConfigKey: "fake-refresh-elsewhere", connectionId: "user-1") { credentials(forceRefresh: true) { ... on OAuth2Credentials { accessToken refreshToken } } } }');
    expect(body.data.connection.credentials).toEqual({ accessToken: 'second-access', refreshToken: 'long-lived-refresh' });
    expect(fakes.requests.at(-1)?.quirk).toBe('refresh-elsewhere/refresh');
  });

  it('sends client credentials in the Basic header to providers that want them there', async () => {
    expect((await connect('fake-basic'))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await stored('fake-basic'))!.credentials.accessToken).toBe('basic-token');
  });

  it('sends a JSON body to providers that want one', async () => {
    expect((await connect('fake-json'))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await stored('fake-json'))!.credentials.accessToken).toBe('json-token');
    const request = fakes.requests.find((entry) => entry.quirk === 'json/token')!;
    expect(JSON.parse(request.body)).toMatchObject({ grant_type: 'authorization_code', code: 'code-json', client_id: FAKE_CLIENT.id });
  });

  it('keeps token-response and callback fields as connection metadata (Salesforce, QuickBooks)', async () => {
    await connect('fake-salesforce');
    const salesforce = (await stored('fake-salesforce'))!;
    expect(salesforce.metadata).toEqual({ instance_url: 'https://acme.my.salesforce.com' });
    expect(salesforce.expiresAt).toBeNull();
    await connect('fake-quickbooks');
    expect((await stored('fake-quickbooks'))!.metadata).toEqual({ realmId: '4620816365' });

    const read = await server.graphql('{ connection(providerConfigKey: "fake-quickbooks", connectionId: "user-1") { metadata } }');
    expect(read.data.connection.metadata).toEqual({ realmId: '4620816365' });
    const rest = (await (await fetch(`${server.url}/connection/user-1?provider_config_key=fake-salesforce`)).json()) as any;
    expect(rest.metadata).toEqual({ instance_url: 'https://acme.my.salesforce.com' });
  });
});

describe('OAuth 1.0a', () => {
  it.each(['fake-oauth1-hmac', 'fake-oauth1-plaintext'])('connects through %s, with signatures the provider verified', async (key) => {
    expect((await connect(key))?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const { credentials, expiresAt } = (await stored(key))!;
    expect(credentials).toMatchObject({ type: 'OAUTH1', oauthToken: expect.stringMatching(/^at-/), oauthTokenSecret: expect.stringMatching(/^ats-/), raw: { user_id: '42', screen_name: 'fake' } });
    expect(expiresAt).toBeNull();
  });

  it('serves OAuth 1 credentials through GraphQL, REST, the Node client and token:get', async () => {
    await connect('fake-oauth1-hmac', 'user-o1');
    const { credentials } = (await stored('fake-oauth1-hmac', 'user-o1'))!;
    const graphql = await server.graphql('{ connection(providerConfigKey: "fake-oauth1-hmac", connectionId: "user-o1") { credentials { __typename ... on OAuth1Credentials { oauthToken oauthTokenSecret } } } }');
    expect(graphql.data.connection.credentials).toEqual({ __typename: 'OAuth1Credentials', oauthToken: credentials.oauthToken, oauthTokenSecret: credentials.oauthTokenSecret });

    const rest = (await (await fetch(`${server.url}/connection/user-o1?provider_config_key=fake-oauth1-hmac`)).json()) as any;
    expect(rest.credentials).toEqual({ type: 'OAUTH1', oauth_token: credentials.oauthToken, oauth_token_secret: credentials.oauthTokenSecret, raw: expect.any(Object) });

    expect(await new Nango({ host: server.url }).getToken('fake-oauth1-hmac', 'user-o1')).toEqual({ oAuthToken: credentials.oauthToken, oAuthTokenSecret: credentials.oauthTokenSecret });
    const cli = await runNango(['token:get', 'fake-oauth1-hmac', 'user-o1'], { NANGO_HOSTPORT: server.url });
    expect(cli.stdout).toBe(`oauth_token:        ${credentials.oauthToken}\noauth_token_secret: ${credentials.oauthTokenSecret}\n`);
  });

  it('fails the flow when the signature is wrong (a wrong consumer secret)', async () => {
    await server.graphql('mutation { updateProviderConfig(input: { key: "fake-oauth1-plaintext", clientSecret: "not-the-secret" }) { key } }');
    try {
      const message = await connect('fake-oauth1-plaintext', 'user-bad');
      expect(message?.data.error).toEqual({ type: 'token_error', message: expect.stringContaining('signature_invalid') });
      expect(await stored('fake-oauth1-plaintext', 'user-bad')).toBeUndefined();
    } finally {
      await server.graphql(`mutation { updateProviderConfig(input: { key: "fake-oauth1-plaintext", clientSecret: "${FAKE_CLIENT.secret}" }) { key } }`);
    }
  });

  it('answers a replayed OAuth 1 callback with invalid_state', async () => {
    const done = await walkFlow(`${server.url}/oauth/connect/fake-oauth1-hmac?connection_id=user-replay`);
    const replay = await walkFlow(done.visited.at(-1)!);
    expect(replay.message?.data.error.type).toBe('invalid_state');
  });
});
