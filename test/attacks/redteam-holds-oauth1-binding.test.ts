// Red team, attacks that held: an OAuth 1.0a flow belongs to the browser that
// started it, like an OAuth 2 one. Its callback names the flow by the request
// token (oauth_token, or denied=), which the provider shows in URLs; without
// the flow's cookie, neither a completed nor a denied callback ends the flow,
// and another flow's cookie does not stand in for it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadCatalog, ProviderCatalog } from '../../server/providers/catalog.js';
import { FAKE_CLIENT, fakeTemplates, startFakeProviders, type FakeProviders } from '../support/fake-providers.js';
import { openConnect, walkFlow } from '../support/flow-client.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'sk-redteam-oauth1-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };
const KEY = 'fake-oauth1-hmac';

let fakes: FakeProviders;
let server: TestServer;
let db: pg.Client;

async function backend(query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
}

async function connectUrl(connectionId: string): Promise<string> {
  const created = await backend('mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }', { input: { providerConfigKey: KEY, connectionId } });
  expect(created.errors).toBeUndefined();
  return created.data.createConnectSession.connectUrl;
}

const stored = async (connectionId: string) =>
  (await db.query('SELECT count(*)::int AS n FROM connections WHERE provider_config_key = $1 AND connection_id = $2', [KEY, connectionId])).rows[0].n as number;

beforeAll(async () => {
  fakes = await startFakeProviders();
  const templates = fakeTemplates(fakes.url);
  server = await startTestServer({
    port: await freePort(),
    catalog: new ProviderCatalog([...loadCatalog().list(), ...templates]),
    env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
  const created = await backend('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
    input: { key: KEY, provider: KEY, clientId: FAKE_CLIENT.id, clientSecret: FAKE_CLIENT.secret, scopes: ['read'] },
  });
  expect(created.errors).toBeUndefined();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), fakes?.close()]);
});

describe('an OAuth 1.0a flow', () => {
  it("stores nothing when its provider URL is opened in another browser, and stays its own browser's to finish", async () => {
    const flow = await openConnect(await connectUrl('o1-conn'));
    const elsewhere = await walkFlow(flow.location.toString());
    expect(elsewhere.message?.data.error.type).toBe('invalid_state');
    expect(await stored('o1-conn')).toBe(0);
    const own = await walkFlow(flow.location.toString(), { jar: flow.jar });
    expect(own.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect(await stored('o1-conn')).toBe(1);
  });

  it('is not ended by a denied= callback from another browser', async () => {
    const flow = await openConnect(await connectUrl('o1-denied'));
    const token = flow.location.searchParams.get('oauth_token')!;
    const denied = await walkFlow(`${server.url}/oauth/callback?denied=${token}`);
    expect(denied.message?.data.error.type).toBe('invalid_state');
    expect((await walkFlow(flow.location.toString(), { jar: flow.jar })).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  });

  it("is not ended with another flow's cookie, whichever key the callback names it by", async () => {
    const victim = await openConnect(await connectUrl('o1-victim'));
    const attacker = await openConnect(await connectUrl('o1-attacker'));
    const victimToken = victim.location.searchParams.get('oauth_token')!;
    const attackerToken = attacker.location.searchParams.get('oauth_token')!;
    for (const query of [`oauth_token=${victimToken}&oauth_verifier=x`, `denied=${victimToken}&oauth_token=${attackerToken}`, `state=${victimToken}&oauth_token=${attackerToken}`]) {
      const answer = await walkFlow(`${server.url}/oauth/callback?${query}`, { jar: attacker.jar });
      expect(answer.message?.data.error.type).toBe('invalid_state');
    }
    expect(await stored('o1-victim')).toBe(0);
    expect((await walkFlow(victim.location.toString(), { jar: victim.jar })).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
  });
});
