import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createLogger } from '../server/log.js';
import { connectFetch, walkFlow } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET = 'log-canary-secret-7f3a9c';
const lines: string[] = [];
let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const port = await freePort();
  issuer = await startTestIssuer({ redirectUris: [`http://localhost:${port}/oauth/callback`], accessTokenTtlSeconds: 2 });
  // The most talkative level: nothing logged at any level may carry a secret.
  server = await startTestServer({ port, logger: createLogger('trace', sink) });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await Promise.all([server?.stop(), issuer?.close()]);
});

const CREATE = 'mutation Create($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }';
const READ = '{ connection(providerConfigKey: "idp", connectionId: "user-1") { credentials { ... on OAuth2Credentials { accessToken refreshToken } } } }';

describe('logs', () => {
  it('write one info line per request, and never the client secret', async () => {
    const before = lines.length;
    await server.graphql(CREATE, { input: { key: 'logged', provider: 'github', clientId: 'id', clientSecret: SECRET, scopes: ['repo'] } });
    await server.graphql(`mutation { updateProviderConfig(input: { key: "logged", clientSecret: "${SECRET}-inline" }) { key } }`);
    await server.graphql(`mutation { createProviderConfig(input: { key: "logged", provider: "github", clientId: "id", clientSecret: "${SECRET}", scopes: [] }) { key } }`);

    const requestLines = lines.slice(before).map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
    expect(requestLines).toEqual([
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 200 }),
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 200 }),
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 409 }), // the duplicate key
    ]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('hold no secret through a whole flow, a refresh and failures', async () => {
    await server.graphql(CREATE, { input: { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret } });
    await server.graphql(CREATE, { input: { key: 'bad-secret', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: `${SECRET}-wrong` } });

    // A pending flow, to learn a PKCE verifier and state as stored (no encryption key here).
    await connectFetch(`${server.url}/oauth/connect/idp?connection_id=pending`, { redirect: 'manual' });
    const pending = (await db.query("SELECT state, code_verifier FROM oauth_sessions WHERE connection_id = 'pending'")).rows[0];

    const flow = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=user-1`);
    const code = new URL(flow.visited.at(-1)!).searchParams.get('code')!;
    const first = (await server.graphql(READ)).data.connection.credentials;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const refreshed = (await server.graphql(READ)).data.connection.credentials;
    await walkFlow(`${server.url}/oauth/connect/bad-secret?connection_id=user-2`); // token_error
    await issuer.revoke(refreshed.refreshToken);
    await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "user-1") { credentials(forceRefresh: true) { __typename } } }'); // refresh_failed
    await fetch(`${server.url}/connection/user-1?provider_config_key=idp`, { headers: { authorization: `Bearer ${SECRET}-api-key` } });

    const everything = lines.join('\n');
    expect(everything).toContain('oauth flow completed');
    // The failures a person must find: at warn, with their code and whose they are.
    const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 40);
    expect(warnings).toContainEqual(expect.objectContaining({ msg: 'oauth flow failed', code: 'token_error', providerConfigKey: 'bad-secret', connectionId: 'user-2' }));
    expect(warnings).toContainEqual(expect.objectContaining({ msg: 'refresh failed', code: 'invalid_grant', providerConfigKey: 'idp', connectionId: 'user-1', provider: 'oidc' }));
    for (const secret of [
      TEST_CLIENT.client_secret,
      `${SECRET}-wrong`,
      `${SECRET}-api-key`,
      code,
      pending.code_verifier,
      pending.state,
      first.accessToken,
      first.refreshToken,
      refreshed.accessToken,
      refreshed.refreshToken,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});
