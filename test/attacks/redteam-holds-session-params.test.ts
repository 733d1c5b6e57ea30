// Red team, attacks that held: a page holding a connect session cannot change
// the params the backend fixed, by any spelling of the query (percent-encoded
// brackets, repeated keys, either order, another case), nor spend the session
// on another provider config. The flow's provider URL stays the backend's host.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startTestServer, type TestServer } from '../support/server.js';
import { connectFetch } from '../support/flow-client.js';

const SECRET_KEY = 'sk-redteam-params-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

let server: TestServer;

async function backend(query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
}

async function session(providerConfigKey: string, params: Record<string, string>): Promise<string> {
  const created = await backend('mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { token } }', {
    input: { providerConfigKey, connectionId: 'tenant-conn', params },
  });
  expect(created.errors).toBeUndefined();
  return created.data.createConnectSession.token;
}

beforeAll(async () => {
  server = await startTestServer({ port: await freePort(), env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
  for (const key of ['desk', 'desk-2']) {
    const created = await backend('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', {
      input: { key, provider: 'zendesk', clientId: 'client-id', clientSecret: 'client-secret-of-zendesk', scopes: ['read'] },
    });
    expect(created.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await server?.stop();
});

async function connect(path: string): Promise<{ status: number; host: string | null; page: string }> {
  // The end user clicks Continue on the confirmation page (when the page is shown at all).
  const response = await connectFetch(`${server.url}${path}`);
  const location = response.headers.get('location');
  return { status: response.status, host: location ? new URL(location).host : null, page: await response.text() };
}

describe('params fixed by a connect session', () => {
  it.each([
    ['plain', 'params[subdomain]=evil'],
    ['percent-encoded brackets', 'params%5Bsubdomain%5D=evil'],
    ['encoded first, the fixed value after', 'params%5Bsubdomain%5D=evil&params[subdomain]=victimco'],
    ['the fixed value first, another after', 'params[subdomain]=victimco&params[subdomain]=evil'],
    ['the fixed value first, another encoded after', 'params[subdomain]=victimco&params%5Bsubdomain%5D=evil'],
    ['another case', 'params[Subdomain]=evil&params[SUBDOMAIN]=evil'],
    ['nested brackets', 'params[subdomain]]=evil&params[params[subdomain]]=evil'],
    ['a host', 'params[subdomain]=evil.example.com'],
  ])('cannot be changed by the page (%s)', async (_name, extra) => {
    const token = await session('desk', { subdomain: 'victimco' });
    const answer = await connect(`/oauth/connect/desk?connect_session_token=${token}&${extra}`);
    if (answer.status === 302) expect(answer.host).toBe('victimco.zendesk.com');
    else expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.page).not.toContain('evil.zendesk.com');
  });

  it('are not spent on another provider config', async () => {
    const token = await session('desk', { subdomain: 'victimco' });
    const answer = await connect(`/oauth/connect/desk-2?connect_session_token=${token}&params[subdomain]=evil`);
    expect(answer.status).toBe(401);
    expect(answer.page).toContain('invalid_connect_session');
  });

  it('open a flow only with the session: a page alone gets connect_session_required', async () => {
    const answer = await connect('/oauth/connect/desk?connection_id=tenant-conn&params[subdomain]=evil&public_key=anything');
    expect(answer.status).toBe(401);
    expect(answer.page).toContain('connect_session_required');
  });
});
