// The attack: a visitor holding only the public key (it ships in every web
// page) picks the host a template's URLs are filled with — params[extension]
// for Zoho, params[hostname] for self-managed GitLab — so that the
// authorization code, the PKCE verifier and the config's client secret are
// POSTed to the attacker's host. The templates are the catalog's own, moved
// from https on 443 to http on a local port; the attacker's names
// (attacker.example, and *.localhost, to which plain http was allowed) resolve
// to that same local host, told apart by the Host header.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadCatalog, ProviderCatalog, type ProviderTemplate } from '../../server/providers/catalog.js';
import { walkFlow } from '../support/flow-client.js';
import { resolveLocally, startRecordingProvider, type RecordingProvider } from '../support/recording-provider.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET_KEY = 'attack-suite-secret-key-0123456789';
const PUBLIC_KEY = 'attack-suite-public-key-0123456789';
const CLIENT_SECRET = 'the-config-client-secret-never-to-leave';

let provider: RecordingProvider;
let server: TestServer;
let undoDns: () => void;

/** The same template, its URLs moved from https://HOST/ to http://HOST:PORT/. */
function onLocalPort(template: ProviderTemplate, port: number): ProviderTemplate {
  const move = (url: string | null) => url && url.replace(/^https:\/\/([^/]+)/, `http://$1:${port}`);
  return { ...template, authorizationUrl: move(template.authorizationUrl), tokenUrl: move(template.tokenUrl), refreshUrl: move(template.refreshUrl) };
}

async function admin(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

const CREATE = 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }';

function connect(key: string, connectionId: string, params: Record<string, string>): string {
  const query = new URLSearchParams({ connection_id: connectionId, public_key: PUBLIC_KEY });
  for (const [name, value] of Object.entries(params)) query.set(`params[${name}]`, value);
  return `${server.url}/oauth/connect/${key}?${query}`;
}

function secretsSeenBy(domain: string): string[] {
  return provider.tokenRequests.filter(({ host }) => host.split(':')[0]!.endsWith(domain)).map(({ body }) => body);
}

const ATTACKER_DOMAINS = ['attacker.example', 'localhost'];

beforeAll(async () => {
  provider = await startRecordingProvider();
  undoDns = resolveLocally(['attacker.example', 'localhost']);
  const catalog = loadCatalog();
  const moved = ['zoho', 'exact-online', 'gitlab-self-managed', 'keycloak'].map((name) => onLocalPort(catalog.get(name)!, provider.port));
  server = await startTestServer({
    catalog: new ProviderCatalog([...catalog.list(), ...moved]),
    // The Nango 0.x mode in which the public key alone opens a flow (issue 14's connect policies).
    env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_PUBLIC_KEY: PUBLIC_KEY, NANGO_CONNECT_POLICY: 'public-key' },
  });
  const app = { clientId: 'client-id', clientSecret: CLIENT_SECRET, scopes: ['read'] };
  for (const input of [
    { key: 'zoho', provider: 'zoho', ...app },
    { key: 'exact', provider: 'exact-online', ...app },
    // The secret-key holder's own GitLab, on this machine.
    { key: 'gitlab', provider: 'gitlab-self-managed', params: { hostname: '127.0.0.1' }, ...app },
  ]) {
    expect((await admin(CREATE, { input })).errors).toBeUndefined();
  }
});
afterAll(async () => {
  undoDns?.();
  await Promise.all([server?.stop(), provider?.close()]);
});

describe('a visitor choosing the host of a template', () => {
  it.each([
    ['zoho', { extension: 'attacker.example' }, 'params[extension]'],
    ['zoho', { extension: 'com.attacker.example' }, 'params[extension]'],
    // accounts.zoho.localhost: a name plain http was allowed to, so the secret went in clear.
    ['zoho', { extension: 'localhost' }, 'params[extension]'],
    ['exact', { extension: 'nl.attacker.example' }, 'params[extension]'],
    ['gitlab', { hostname: 'gitlab.attacker.example' }, 'params[hostname]'],
    ['gitlab', { hostname: 'gitlab.localhost' }, 'params[hostname]'],
  ])('%s with %j: refused with invalid_input before anything is sent, the client secret stays home', async (key, params, field) => {
    const before = provider.tokenRequests.length;
    const result = await walkFlow(connect(key, `victim-${Math.random().toString(36).slice(2, 8)}`, params));
    expect(result.status).toBe(400);
    expect(result.message).toMatchObject({ eventType: 'AUTHORIZATION_FAILED', data: { error: { type: 'invalid_input' } } });
    expect(result.message?.data.error.message).toContain(field.slice(7, -1));
    for (const domain of ATTACKER_DOMAINS) {
      expect(secretsSeenBy(domain)).toEqual([]);
      expect(provider.reachedVia(domain)).toEqual([]);
    }
    expect(provider.tokenRequests.length).toBe(before);
    // The browser was not even sent to the visitor's host.
    expect(result.visited.slice(1)).toEqual([]);
  });

  it('refuses a host given by a visitor even when it is this machine (169.254.169.254 and friends never get a say)', async () => {
    for (const hostname of ['169.254.169.254', '127.0.0.1:22', 'localhost']) {
      const result = await walkFlow(connect('gitlab', 'victim-metadata', { hostname }));
      expect(result.status).toBe(400);
      expect(result.message?.data.error.type).toBe('invalid_input');
    }
  });

  it('still connects to the host the secret-key holder set on the config, with its client secret', async () => {
    const before = provider.tokenRequests.length;
    const gitlab = await walkFlow(connect('gitlab', 'gitlab-user', {}));
    expect(gitlab.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    // A visitor repeating the config's own value changes nothing and is let through.
    const same = await walkFlow(connect('gitlab', 'gitlab-user-2', { hostname: '127.0.0.1' }));
    expect(same.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const sent = provider.tokenRequests.slice(before);
    expect(sent.map(({ host }) => host)).toEqual([`127.0.0.1:${provider.port}`, `127.0.0.1:${provider.port}`]);
    expect(new URLSearchParams(sent[0]!.body).get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('refuses to connect through a self-managed config stored without its host, rather than take the visitor\'s', async () => {
    // As a config written before hosts moved to the config looks in the database.
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, scopes) VALUES ('old-gitlab', 'gitlab-self-managed', 'id', $1, '{}')`, [CLIENT_SECRET]);
    await db.end();
    const before = provider.tokenRequests.length;
    const result = await walkFlow(connect('old-gitlab', 'victim-old', { hostname: 'gitlab.attacker.example' }));
    expect(result.status).toBe(400);
    expect(result.message?.data.error.type).toBe('invalid_input');
    const bare = await walkFlow(connect('old-gitlab', 'victim-old', {}));
    expect(bare.status).toBe(400);
    expect(bare.message?.data.error).toMatchObject({ type: 'provider_config_incomplete', message: expect.stringContaining('--param hostname=') });
    expect(provider.tokenRequests.length).toBe(before);
  });
});
