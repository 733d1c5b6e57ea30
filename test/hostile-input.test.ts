// Hostile input, table-driven: each case must end with a 4xx/5xx (or the CLI's
// exit code 1) carrying a stable code and a clear message, the server must keep
// serving, and no provider config or connection may change.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ERROR_CODES, statusOf, type ErrorCode, type GraphQLProtocolCode } from '../server/core/errors.js';
import { runNango } from './support/cli.js';
import { openConnect, walkFlow, type CookieJar } from './support/flow-client.js';
import { startTestIssuer, TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { freePort, startTestServer, type TestServer } from './support/server.js';

const SECRET_KEY = 'sk-hostile-0123456789abcdef';
const PUBLIC_KEY = 'pk-hostile-0123456789abcdef';
const AUTH = { authorization: `Bearer ${SECRET_KEY}` };

let server: TestServer;
let issuer: TestIssuer;
let providers: http.Server;
let db: pg.Client;

interface Outcome {
  status: number;
  code: string | undefined;
  message: string | undefined;
}

interface Case {
  name: string;
  /** Runs before the snapshot: may create what the case needs (a pending flow, a finished one). */
  setup?: () => Promise<Record<string, string>>;
  run: (prepared: Record<string, string>) => Promise<Outcome>;
  status: number;
  code: ErrorCode | GraphQLProtocolCode;
}

async function graphqlRaw(body: string, headers: Record<string, string> = { 'content-type': 'application/json', ...AUTH }): Promise<Outcome> {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
  const json = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: response.status, code: json.errors?.[0]?.extensions?.code, message: json.errors?.[0]?.message };
}

const graphql = (query: string, variables?: Record<string, unknown>) => graphqlRaw(JSON.stringify({ query, variables }));

async function rest(method: string, path: string, headers: Record<string, string> = AUTH): Promise<Outcome> {
  const response = await fetch(`${server.url}${path}`, { method, headers });
  const json = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: json.error?.code, message: json.error?.message };
}

async function flow(path: string, jar?: CookieJar): Promise<Outcome> {
  const result = await walkFlow(`${server.url}${path}`, { jar });
  expect(result.message?.eventType).toBe('AUTHORIZATION_FAILED');
  return { status: result.status, code: result.message?.data.error.type, message: result.message?.data.error.message };
}

async function restJson(method: string, path: string, body: unknown): Promise<Outcome> {
  return restWith(method, path, { ...AUTH, 'content-type': 'application/json' }, typeof body === 'string' ? body : JSON.stringify(body));
}

async function restWith(method: string, path: string, headers: Record<string, string>, body: string): Promise<Outcome> {
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const json = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: json.error?.code, message: json.error?.message };
}

async function cli(args: string[]): Promise<Outcome> {
  const run = await runNango([...args, '--json'], { NANGO_HOSTPORT: server.url, NANGO_SECRET_KEY: SECRET_KEY });
  expect(run.stderr.startsWith('❌ ')).toBe(true);
  const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
  return { status: run.code, code: error.code, message: error.message };
}

/** Starts a flow and returns its state and the flow's cookie: a pending oauth_sessions row, and the browser that may end it. */
async function pendingFlow(key: string): Promise<Record<string, string>> {
  const opened = await openConnect(`${server.url}/oauth/connect/${key}?connection_id=victim&public_key=${PUBLIC_KEY}`);
  expect(opened.status).toBe(302);
  return { state: opened.location.searchParams.get('state')!, jar: JSON.stringify(opened.jar) };
}

const jarOf = (prepared: Record<string, string>) => JSON.parse(prepared.jar!) as CookieJar;

const longId = 'x'.repeat(10_000);
const aliases = Array.from({ length: 50 }, (_, index) => `a${index}: providers { name }`).join(' ');
const tokens = `{ ${Array.from({ length: 1200 }, () => 'providers { name }').join(' ')} }`;
// graphql-js parses literals by recursion: nested deep enough, within the token limit, they exhausted the stack (a 500).
const DEEP = 15_000;
const deepList = `${'['.repeat(DEEP)}"x"${']'.repeat(DEEP)}`;
const deepObject = `${'{a:'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
// Objects in lists, built as text: JSON.stringify of a value this deep would exhaust the test's own stack.
const deepJson = `${'[{"a":'.repeat(DEEP / 2)}"x"${'}]'.repeat(DEEP / 2)}`;
const withVariables = (query: string, variables: string) => `{"query":${JSON.stringify(query)},"variables":${variables}}`;
/** Yoga's own HTTP path: the lane in front of it (server/http/graphql-lane.ts) leaves requests with an Origin to Yoga. */
const fromABrowser = () => ({ 'content-type': 'application/json', origin: server.url, ...AUTH });

const cases: Case[] = [
  // GraphQL
  { name: 'GraphQL: malformed JSON', run: () => graphqlRaw('{"query": '), status: 400, code: 'BAD_REQUEST' },
  { name: 'GraphQL: a text/plain body (CSRF)', run: () => graphqlRaw('{"query":"{ providers { name } }"}', { 'content-type': 'text/plain', ...AUTH }), status: 403, code: 'CSRF_PREVENTED' },
  { name: 'GraphQL: a form body (CSRF)', run: () => graphqlRaw('query=%7B%7D', { 'content-type': 'application/x-www-form-urlencoded', ...AUTH }), status: 403, code: 'CSRF_PREVENTED' },
  { name: 'GraphQL: a body over the limit', run: () => graphqlRaw(JSON.stringify({ query: `{ providers { name } } # ${'x'.repeat(200_000)}` })), status: 413, code: 'payload_too_large' },
  {
    name: 'GraphQL: a chunked body over the limit',
    run: async () => {
      const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 10) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body, duplex: 'half' } as RequestInit);
      // Answered before the body ended: the rest is still on the socket, which the client must not reuse.
      expect(response.headers.get('connection')).toBe('close');
      const json = (await response.json()) as any;
      return { status: response.status, code: json.errors?.[0]?.extensions?.code, message: json.errors?.[0]?.message };
    },
    status: 413,
    code: 'payload_too_large',
  },
  { name: 'GraphQL: no query at all', run: () => graphqlRaw('{}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'GraphQL: a query that is not a string', run: () => graphqlRaw('{"query": 42}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'GraphQL: a syntax error', run: () => graphql('{ providers { '), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'GraphQL: an unknown field', run: () => graphql('{ providerConfigs { key clientSecret } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'GraphQL: a missing argument', run: () => graphql('{ providerConfig { key } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'GraphQL: an unknown input field', run: () => graphql('mutation { createProviderConfig(input: { key: "k", provider: "github", clientId: "i", clientSecret: "s", scopes: [], admin: true }) { key } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'GraphQL: a variable of the wrong type', run: () => graphql('query ($key: String!) { providerConfig(key: $key) { key } }', { key: 42 }), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'GraphQL: a missing variable', run: () => graphql('query ($key: String!) { providerConfig(key: $key) { key } }'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'GraphQL: an alias bomb', run: () => graphql(`{ ${aliases} }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a token bomb', run: () => graphql(tokens), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a list literal nested 15,000 levels', run: () => graphql(`{ providers(search: ${deepList}) { name } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a list literal nested 15,000 levels, through Yoga', run: () => graphqlRaw(JSON.stringify({ query: `{ providers(search: ${deepList}) { name } }` }), fromABrowser()), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: an object literal nested 15,000 levels', run: () => graphql(`{ providers(search: ${deepObject}) { name } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a mutation input object nested 15,000 levels', run: () => graphql(`mutation { createProviderConfig(input: ${deepObject}) { key } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a list in a mutation input nested 15,000 levels', run: () => graphql(`mutation { createProviderConfig(input: { scopes: ${deepList} }) { key } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a list in a mutation input nested 15,000 levels, through Yoga', run: () => graphqlRaw(JSON.stringify({ query: `mutation { createProviderConfig(input: { scopes: ${deepList} }) { key } }` }), fromABrowser()), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'GraphQL: a variable nested 15,000 levels', run: () => graphqlRaw(withVariables('query ($s: String) { providers(search: $s) { name } }', `{"s":${deepJson}}`)), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'GraphQL: a variable nested 15,000 levels, through Yoga', run: () => graphqlRaw(withVariables('query ($s: String) { providers(search: $s) { name } }', `{"s":${deepJson}}`), fromABrowser()), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'GraphQL: a mutation input variable nested 15,000 levels', run: () => graphqlRaw(withVariables('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', `{"input":{"key":"deep","provider":"github","clientId":"i","clientSecret":"s","scopes":${deepList}}}`)), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'GraphQL: a batch', run: () => graphqlRaw(JSON.stringify([{ query: '{ providers { name } }' }])), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'GraphQL: a mutation over GET',
    run: async () => {
      const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent('mutation { deleteProviderConfig(key: "idp") }')}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1', ...AUTH } });
      const json = (await response.json()) as any;
      return { status: response.status, code: json.errors[0].extensions.code, message: json.errors[0].message };
    },
    status: 405,
    code: 'BAD_REQUEST',
  },
  // Stored as it is (no encryption key here): the database refuses a NUL, which is the caller's fault.
  { name: 'GraphQL: a NUL byte in a client secret', run: () => graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input: { key: 'nul-secret', provider: 'github', clientId: 'i', clientSecret: 's\u0000s', scopes: [] } }), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: a body that is not UTF-8', run: () => graphqlRaw(Buffer.concat([Buffer.from('{"query":"{ providers(search: \\"'), Buffer.from([0xff, 0xfe]), Buffer.from('\\") { name } }"}')]) as unknown as string), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: SQL metacharacters in a new key', run: () => graphql(`mutation { createProviderConfig(input: { key: "x'); DROP TABLE connections; --", provider: "github", clientId: "i", clientSecret: "s", scopes: [] }) { key } }`), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: path traversal in a new key', run: () => graphql('mutation { createProviderConfig(input: { key: "../../etc/passwd", provider: "github", clientId: "i", clientSecret: "s", scopes: [] }) { key } }'), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: SQL metacharacters in a lookup', run: () => graphql(`{ providerConfig(key: "idp' OR '1'='1") { key } }`), status: 404, code: 'unknown_provider_config' },
  { name: 'GraphQL: a NUL byte in a key', run: () => graphql('query ($key: String!) { providerConfig(key: $key) { key } }', { key: 'idp\u0000' }), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: an oversized connection id', run: () => graphql('query ($id: String!) { connection(providerConfigKey: "idp", connectionId: $id) { connectionId } }', { id: longId }), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: a NUL byte in a connection id', run: () => graphql('query ($id: String!) { connection(providerConfigKey: "idp", connectionId: $id) { connectionId } }', { id: 'user\u0000-1' }), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: a unicode connection id that does not exist', run: () => graphql('query ($id: String!) { connection(providerConfigKey: "idp", connectionId: $id) { connectionId } }', { id: '\u202eresu-🦄-ユーザー' }), status: 404, code: 'unknown_connection' },
  { name: 'GraphQL: deleting a connection that does not exist', run: () => graphql('mutation { deleteConnection(providerConfigKey: "idp", connectionId: "ghost") }'), status: 404, code: 'unknown_connection' },
  { name: 'GraphQL: a plain-http endpoint off loopback', run: () => graphql('mutation { createProviderConfig(input: { key: "evil", provider: "custom", clientId: "i", clientSecret: "s", scopes: [], authorizationUrl: "http://evil.example.com/a", tokenUrl: "https://evil.example.com/t" }) { key } }'), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: thousands of scopes', run: () => graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input: { key: 'many', provider: 'github', clientId: 'i', clientSecret: 's', scopes: Array.from({ length: 5000 }, (_, i) => `s${i}`) } }), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: a negative page size', run: () => graphql('{ connections(first: -1) { nodes { connectionId } } }'), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: a forged cursor', run: () => graphql('{ connections(after: "\'; DROP TABLE connections; --") { nodes { connectionId } } }'), status: 400, code: 'invalid_input' },
  { name: 'GraphQL: no Authorization header', run: () => graphqlRaw(JSON.stringify({ query: '{ providerConfigs { key } }' }), { 'content-type': 'application/json' }), status: 401, code: 'missing_auth_header' },
  { name: 'GraphQL: a wrong secret key', run: () => graphqlRaw(JSON.stringify({ query: '{ providerConfigs { key } }' }), { 'content-type': 'application/json', authorization: 'Bearer sk-guess-0000000000' }), status: 401, code: 'invalid_secret_key' },
  { name: 'GraphQL: a malformed Authorization header', run: () => graphqlRaw(JSON.stringify({ query: '{ providerConfigs { key } }' }), { 'content-type': 'application/json', authorization: 'Basic !!!' }), status: 401, code: 'invalid_secret_key' },
  // REST
  { name: 'REST: no provider_config_key', run: () => rest('GET', '/connection/user-1'), status: 400, code: 'invalid_input' },
  { name: 'REST: force_refresh that is not a boolean', run: () => rest('GET', '/connection/user-1?provider_config_key=idp&force_refresh=1%3B%20DROP'), status: 400, code: 'invalid_input' },
  { name: 'REST: a page size that is not a number', run: () => rest('GET', '/connection?first=abc'), status: 400, code: 'invalid_input' },
  { name: 'REST: an oversized connection id', run: () => rest('GET', `/connection/${'y'.repeat(8000)}?provider_config_key=idp`), status: 400, code: 'invalid_input' },
  { name: 'REST: an encoded NUL in the connection id', run: () => rest('GET', '/connection/user%00-1?provider_config_key=idp'), status: 400, code: 'invalid_input' },
  { name: 'REST: path traversal in the connection id', run: () => rest('GET', '/connection/..%2F..%2Fetc%2Fpasswd?provider_config_key=idp'), status: 404, code: 'unknown_connection' },
  // Left undecoded, it is just an id nobody has.
  { name: 'REST: broken percent-encoding', run: () => rest('GET', '/connection/%E0%A4%A?provider_config_key=idp'), status: 400, code: 'invalid_input' },
  { name: 'REST: deleting a connection that does not exist', run: () => rest('DELETE', '/connection/ghost?provider_config_key=idp'), status: 404, code: 'unknown_connection' },
  { name: 'REST: a method no route has', run: () => rest('PUT', '/connection/user-1?provider_config_key=idp'), status: 404, code: 'not_found' },
  { name: 'REST: no Authorization header', run: () => rest('GET', '/connection/user-1?provider_config_key=idp', {}), status: 401, code: 'missing_auth_header' },
  // OAuth routes
  { name: 'connect: no connection_id', run: () => flow(`/oauth/connect/idp?public_key=${PUBLIC_KEY}`), status: 400, code: 'missing_connection_id' },
  { name: 'connect: an unknown config key', run: () => flow(`/oauth/connect/nope?connection_id=u&public_key=${PUBLIC_KEY}`), status: 404, code: 'unknown_provider_config' },
  { name: 'connect: path traversal in the key', run: () => flow(`/oauth/connect/..%2F..%2Fetc%2Fpasswd?connection_id=u&public_key=${PUBLIC_KEY}`), status: 404, code: 'unknown_provider_config' },
  { name: 'connect: a subdomain that would redirect elsewhere', run: () => flow(`/oauth/connect/zendesk?connection_id=u&public_key=${PUBLIC_KEY}&params%5Bsubdomain%5D=${encodeURIComponent('evil.com/x?')}`), status: 400, code: 'invalid_input' },
  { name: 'connect: a missing connection param', run: () => flow(`/oauth/connect/zendesk?connection_id=u&public_key=${PUBLIC_KEY}`), status: 400, code: 'missing_connection_config_param' },
  { name: 'connect: too many params', run: () => flow(`/oauth/connect/idp?connection_id=u&public_key=${PUBLIC_KEY}&${Array.from({ length: 50 }, (_, i) => `params%5Bp${i}%5D=v`).join('&')}`), status: 400, code: 'invalid_input' },
  { name: 'connect: an oversized unicode connection id', run: () => flow(`/oauth/connect/idp?public_key=${PUBLIC_KEY}&connection_id=${encodeURIComponent('🦄'.repeat(300))}`), status: 400, code: 'invalid_input' },
  { name: 'connect: no public key', run: () => flow('/oauth/connect/idp?connection_id=u'), status: 401, code: 'invalid_public_key' },
  { name: 'callback: a foreign state', run: () => flow('/oauth/callback?state=forged-state&code=abc'), status: 400, code: 'invalid_state' },
  {
    name: 'callback: a replayed state',
    setup: async () => {
      const done = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=replayed&public_key=${PUBLIC_KEY}`);
      expect(done.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
      return { callback: done.visited.at(-1)!.replace(server.url, '') };
    },
    run: ({ callback }) => flow(callback!),
    status: 400,
    code: 'invalid_state',
  },
  { name: 'callback: no code', setup: () => pendingFlow('idp'), run: (prepared) => flow(`/oauth/callback?state=${prepared.state}`, jarOf(prepared)), status: 400, code: 'missing_code' },
  { name: 'callback: a pending state from another browser', setup: () => pendingFlow('idp'), run: ({ state }) => flow(`/oauth/callback?state=${state}&code=abc`), status: 400, code: 'invalid_state' },
  { name: 'connect: a made-up connect session token', run: () => flow(`/oauth/connect/idp?connection_id=u&connect_session_token=ncs_${'x'.repeat(43)}`), status: 401, code: 'invalid_connect_session' },
  { name: 'connect: re-authorizing an existing connection with only the public key', run: () => flow(`/oauth/connect/idp?connection_id=user-1&public_key=${PUBLIC_KEY}`), status: 401, code: 'connect_session_required' },
  { name: 'REST: a connect session for an unknown config', run: () => restJson('POST', '/connect/sessions', { provider_config_key: 'nope', connection_id: 'u' }), status: 404, code: 'unknown_provider_config' },
  { name: 'REST: a connect session with an unknown field', run: () => restJson('POST', '/connect/sessions', { provider_config_key: 'idp', connection_id: 'u', admin: true }), status: 400, code: 'invalid_input' },
  { name: 'REST: a connect session that is not JSON', run: () => restJson('POST', '/connect/sessions', '{"provider_config_key": '), status: 400, code: 'invalid_input' },
  {
    name: 'callback: a provider error carrying markup',
    setup: () => pendingFlow('idp'),
    run: async (prepared) => {
      const result = await walkFlow(`${server.url}/oauth/callback?state=${prepared.state}&error=${encodeURIComponent('<script>alert(1)</script>')}`, { jar: jarOf(prepared) });
      expect(result.html).not.toContain('<script>alert(1)</script>');
      return { status: result.status, code: result.message?.data.error.type, message: result.message?.data.error.message };
    },
    status: 400,
    code: 'authorization_failed',
  },
  { name: 'callback: a provider answering HTML', setup: () => pendingFlow('html-provider'), run: (prepared) => flow(`/oauth/callback?state=${prepared.state}&code=abc`, jarOf(prepared)), status: 502, code: 'token_error' },
  { name: 'callback: a provider that never answers', setup: () => pendingFlow('silent-provider'), run: (prepared) => flow(`/oauth/callback?state=${prepared.state}&code=abc`, jarOf(prepared)), status: 504, code: 'provider_timeout' },
  // CLI
  { name: 'CLI: a key with SQL metacharacters', run: () => cli(['config:create', "x'; DROP TABLE connections;--", 'github', 'id', 'secret', 'repo']), status: 1, code: 'invalid_input' },
  { name: 'CLI: a scope with a space', run: () => cli(['config:create', 'spaced', 'github', 'id', 'secret', 'repo,read user']), status: 1, code: 'invalid_input' },
  { name: 'CLI: an unknown template', run: () => cli(['config:create', 'k', '../../etc/passwd', 'id', 'secret', 'repo']), status: 1, code: 'unknown_provider_template' },
  { name: 'CLI: an oversized connection id', run: () => cli(['connection:get', 'idp', 'z'.repeat(300)]), status: 1, code: 'invalid_input' },
  { name: 'CLI: a token for nobody', run: () => cli(['token:get', 'idp', 'nobody']), status: 1, code: 'unknown_connection' },
];

async function snapshot(): Promise<unknown> {
  const configs = await db.query('SELECT * FROM provider_configs ORDER BY id');
  const connections = await db.query('SELECT * FROM connections ORDER BY id');
  return { configs: configs.rows, connections: connections.rows };
}

beforeAll(async () => {
  const port = await freePort();
  issuer = await startTestIssuer([`http://localhost:${port}/oauth/callback`]);
  // A provider that answers the token request with HTML, and one that never answers.
  providers = http.createServer((req, res) => {
    if (req.url?.startsWith('/html')) {
      res.setHeader('content-type', 'text/html');
      res.end('<html><body>Login required</body></html>');
    }
  });
  await new Promise<void>((resolve) => providers.listen(0, '127.0.0.1', resolve));
  const providersUrl = `http://127.0.0.1:${(providers.address() as AddressInfo).port}`;
  server = await startTestServer({
    port,
    // The public-key connect policy (Nango 0.x's frontend): the page's key opens flows.
    env: { NANGO_SECRET_KEY: SECRET_KEY, NANGO_PUBLIC_KEY: PUBLIC_KEY, NANGO_CONNECT_POLICY: 'public-key', NANGO_PROVIDER_TIMEOUT_MS: '1000' },
  });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const app = { clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret };
  for (const input of [
    { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], ...app },
    { key: 'zendesk', provider: 'zendesk', scopes: ['read'], ...app },
    { key: 'html-provider', provider: 'custom', authorizationUrl: 'https://auth.example.com/authorize', tokenUrl: `${providersUrl}/html/token`, scopes: [], ...app },
    { key: 'silent-provider', provider: 'custom', authorizationUrl: 'https://auth.example.com/authorize', tokenUrl: `${providersUrl}/silent/token`, scopes: [], ...app },
  ]) {
    const outcome = await graphql('mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }', { input });
    expect(outcome.code).toBeUndefined();
  }
  const connected = await walkFlow(`${server.url}/oauth/connect/idp?connection_id=user-1&public_key=${PUBLIC_KEY}`);
  expect(connected.message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
});

afterAll(async () => {
  await db?.end();
  providers?.closeAllConnections();
  await new Promise((resolve) => providers?.close(resolve));
  await Promise.all([server?.stop(), issuer?.close()]);
});

describe('hostile input', () => {
  it('answers with the codes of the error catalogue, each at the status the catalogue gives it', () => {
    const codes = new Set(cases.map((testCase) => testCase.code));
    expect([...codes].filter((code) => !ERROR_CODES.includes(code))).toEqual([]);
    // GraphQL's protocol codes name a kind of refusal whose status varies (BAD_REQUEST: 400, or 405 for a mutation over GET).
    const answered = cases.filter((testCase) => !testCase.name.startsWith('CLI:') && /^[a-z_]+$/.test(testCase.code));
    expect(answered.map(({ name, code, status }) => ({ name, code, status }))).toEqual(answered.map(({ name, code }) => ({ name, code, status: statusOf(code) })));
  });

  it('reaches every code GraphQL declares for a refused request', () => {
    const refusals = ERROR_CODES.filter((code) => /^[A-Z_]+$/.test(code) && statusOf(code) < 500);
    expect(refusals.filter((code) => !cases.some((testCase) => testCase.code === code))).toEqual([]);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const prepared = (await testCase.setup?.()) ?? {};
    const before = await snapshot();
    const outcome = await testCase.run(prepared);
    expect({ status: outcome.status, code: outcome.code }).toEqual({ status: testCase.status, code: testCase.code });
    expect(outcome.message).toEqual(expect.any(String));
    expect(outcome.message!.length).toBeGreaterThan(10);
    expect(outcome.message).not.toMatch(/node_modules|\.ts:\d|at .*\(|SELECT |INSERT |UPDATE /);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await graphql('{ providers(search: "github") { name } }')).toEqual({ status: 200, code: undefined, message: undefined });
    expect(await snapshot()).toEqual(before);
  });
});
