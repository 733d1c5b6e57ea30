import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Nango } from '../clients/node/index.js';
import { runNango } from './support/cli.js';
import { connectFetch, walkFlow } from './support/flow-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-test-0123456789abcdef';
const PUBLIC_KEY = 'pk-test-0123456789abcdef';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_PUBLIC_KEY: PUBLIC_KEY } });
  const created = await graphql('mutation { createProviderConfig(input: { key: "github", provider: "github", clientId: "id", clientSecret: "s", scopes: ["repo"] }) { key } }', `Bearer ${SECRET_KEY}`);
  expect(created.status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
});

async function graphql(query: string, authorization?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('with NANGO_SECRET_KEY set', () => {
  it('refuses GraphQL without the key, or with another key', async () => {
    expect(await graphql('{ providerConfigs { key } }')).toEqual({
      status: 401,
      body: { errors: [{ message: expect.stringContaining('requires its secret key'), extensions: { code: 'missing_auth_header' } }] },
    });
    const wrong = await graphql('{ providerConfigs { key } }', 'Bearer sk-wrong-key-0000000000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0].extensions.code).toBe('invalid_secret_key');
    expect(JSON.stringify(wrong.body)).not.toContain(SECRET_KEY);
  });

  it('accepts the key as a Bearer token and as Basic user name, as Nango 0.x clients send it', async () => {
    const bearer = await graphql('{ providerConfigs { key } }', `Bearer ${SECRET_KEY}`);
    expect(bearer.body.data.providerConfigs).toEqual([{ key: 'github' }]);
    const basic = await graphql('{ providerConfigs { key } }', `Basic ${Buffer.from(`${SECRET_KEY}:`).toString('base64')}`);
    expect(basic.body.data.providerConfigs).toEqual([{ key: 'github' }]);
  });

  it('guards the REST routes the same way, in the REST error shape', async () => {
    const none = await fetch(`${server.url}/connection`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: { code: 'missing_auth_header', message: expect.any(String) } });
    const wrong = await fetch(`${server.url}/connection/u1?provider_config_key=github`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('invalid_secret_key');
    const right = await fetch(`${server.url}/connection`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    expect(right.status).toBe(200);
    const deletion = await fetch(`${server.url}/connection/u1?provider_config_key=github`, { method: 'DELETE' });
    expect(deletion.status).toBe(401);
  });

  it('still serves the GraphiQL page, the health check and the browser SDK without a key', async () => {
    const graphiql = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    const page = await graphiql.text();
    expect(page).toContain('<html');
    expect(page).toContain('your NANGO_SECRET_KEY');
    expect(page).not.toContain(SECRET_KEY);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/sdk/frontend.js`)).status).toBe(200);
  });

  it('admits anyone to GET /graphql only for the GraphiQL page: an operation over GET needs the key', async () => {
    const query = `/graphql?query=${encodeURIComponent('{ providerConfigs { key clientId } }')}`;
    const bare = await fetch(`${server.url}${query}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(bare.status).toBe(401);
    expect((await bare.json()).errors[0].extensions.code).toBe('missing_auth_header');
    const wrong = await fetch(`${server.url}${query}`, { headers: { accept: 'text/html', authorization: 'Bearer sk-wrong-key-0000000000' } });
    expect(wrong.status).toBe(401);
    // A request that asks for the page as well as JSON gets the page: the operation does not run.
    const both = await fetch(`${server.url}${query}`, { headers: { accept: 'application/json, text/html', 'x-graphql-yoga-csrf': '1' } });
    expect(both.headers.get('content-type')).toContain('text/html');
    expect(await both.text()).not.toContain('"providerConfigs"');
  });

  it('lets the CLI and the Node client in with the key they are given, and only then', async () => {
    const withKey = await runNango(['config:list', '--json'], { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET_KEY });
    expect(JSON.parse(withKey.stdout)).toEqual([expect.objectContaining({ key: 'github' })]);
    const without = await runNango(['config:list'], { NANGO_HOSTPORT: server.url });
    expect(without).toMatchObject({ code: 1, stderr: expect.stringMatching(/^❌ This server requires its secret key/) });

    expect(await new Nango({ host: server.url, secretKey: SECRET_KEY }).listProviderConfigs()).toEqual([expect.objectContaining({ key: 'github' })]);
    await expect(new Nango({ host: server.url }).listProviderConfigs()).rejects.toMatchObject({ code: 'missing_auth_header' });
    await expect(new Nango({ host: server.url, secretKey: 'wrong-key-wrong-key' }).getToken('github', 'u1')).rejects.toMatchObject({ code: 'invalid_secret_key' });
  });
});

describe('with NANGO_SECRET_KEY set, /oauth/connect (the `session` connect policy by default)', () => {
  it('refuses a flow without a connect session, even with the public key, reporting it to the popup', async () => {
    for (const query of ['', `&public_key=${PUBLIC_KEY}`]) {
      const result = await walkFlow(`${server.url}/oauth/connect/github?connection_id=u1${query}`);
      expect(result.status).toBe(401);
      expect(result.message).toEqual({
        eventType: 'AUTHORIZATION_FAILED',
        data: { connectionId: 'u1', providerConfigKey: 'github', error: { type: 'connect_session_required', message: expect.any(String) } },
      });
    }
  });

  it('redirects to the provider with a connect session the backend created', async () => {
    const created = await graphql('mutation { createConnectSession(input: { providerConfigKey: "github", connectionId: "u1" }) { token connectUrl } }', `Bearer ${SECRET_KEY}`);
    const { token, connectUrl } = created.body.data.createConnectSession;
    expect(connectUrl).toBe(`${server.url}/oauth/connect/github?connection_id=u1&connect_session_token=${token}`);
    // The end user sees whose connection this is, and clicks Continue.
    const page = await fetch(connectUrl);
    expect(await page.text()).toContain('Connect GitHub');
    const response = await connectFetch(connectUrl);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
  });

  it('refuses a made-up or wrong-shaped session token', async () => {
    for (const token of ['ncs_' + 'A'.repeat(43), 'nope']) {
      const result = await walkFlow(`${server.url}/oauth/connect/github?connection_id=u1&connect_session_token=${token}`);
      expect(result.status).toBe(401);
      expect(result.message?.data.error.type).toBe('invalid_connect_session');
    }
  });
});
