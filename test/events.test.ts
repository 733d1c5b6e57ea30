// Events written with the changes they report, against a real oidc-provider
// (refresh-token rotation on): configs created, updated and deleted;
// connections created (with the connect session's end user), re-authorized,
// failing, recovered, needing their user, and deleted (also with their
// config); listed by Query.events, filtered and paged; never a token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { NANGO, runNango } from './support/cli.js';
import { walkFlow } from './support/flow-client.js';
import { TEST_CLIENT, type TestIssuer } from './support/oidc-issuer.js';
import { startServerWithIssuer, type ServerWithIssuer } from './support/server-with-issuer.js';
import { freePort, type TestServer } from './support/server.js';

const EVENTS = `query ($after: String, $types: [String!], $key: String, $id: String, $first: Int) {
  events(after: $after, types: $types, providerConfigKey: $key, connectionId: $id, first: $first) {
    nodes { id type createdAt data { providerConfigKey connectionId endUser { id email displayName } health error { code description } } }
    pageInfo { endCursor hasNextPage }
  }
}`;

interface EventNode {
  id: string;
  type: string;
  createdAt: string;
  data: { providerConfigKey: string; connectionId: string | null; endUser: { id: string; email: string | null; displayName: string | null } | null; health: string | null; error: { code: string; description: string | null } | null };
}

let server: TestServer;
let issuer: TestIssuer;
let db: pg.Client;
let running: ServerWithIssuer;

beforeAll(async () => {
  running = await startServerWithIssuer();
  ({ server, issuer, db } = running);
});
afterAll(() => running?.stop());

async function events(variables: Record<string, unknown> = {}): Promise<{ nodes: EventNode[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } }> {
  const body = await server.graphql(EVENTS, { first: 100, ...variables });
  expect(body.errors).toBeUndefined();
  return body.data.events;
}

async function typesOf(connectionId: string): Promise<string[]> {
  return (await events({ id: connectionId })).nodes.map((event) => event.type);
}

const CONFIG = 'mutation ($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }';

describe('provider config events', () => {
  it('are written by create and update, oldest first, with the key and no connection', async () => {
    const input = { key: 'idp', provider: 'oidc', issuer: issuer.issuer, scopes: ['openid'], clientId: TEST_CLIENT.client_id, clientSecret: TEST_CLIENT.client_secret };
    expect((await server.graphql(CONFIG, { input })).errors).toBeUndefined();
    const updated = await server.graphql('mutation ($input: UpdateProviderConfigInput!) { updateProviderConfig(input: $input) { key } }', { input: { ...input, scopes: ['openid', 'email'] } });
    expect(updated.errors).toBeUndefined();
    // A refused create (the key exists) writes nothing.
    expect((await server.graphql(CONFIG, { input })).errors?.[0]?.extensions?.code).toBe('duplicate_provider_config');
    const { nodes } = await events({ key: 'idp' });
    expect(nodes.map((event) => [event.type, event.data.providerConfigKey, event.data.connectionId])).toEqual([
      ['provider_config.created', 'idp', null],
      ['provider_config.updated', 'idp', null],
    ]);
    expect(nodes[0]!.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(Date.parse(nodes[0]!.createdAt)).toBeLessThanOrEqual(Date.parse(nodes[1]!.createdAt));
  });
});

describe('connection events', () => {
  it('connection.created carries the end user the connect session named; a second flow is connection.reauthorized', async () => {
    const created = await server.graphql('mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { connectUrl } }', {
      input: { providerConfigKey: 'idp', connectionId: 'u1', endUser: { id: 'user-1', email: 'one@example.com', displayName: 'One' } },
    });
    expect(created.errors).toBeUndefined();
    expect((await walkFlow(created.data.createConnectSession.connectUrl)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    expect((await walkFlow(`${server.url}/oauth/connect/idp?connection_id=u1`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    const { nodes } = await events({ id: 'u1' });
    expect(nodes.map((event) => event.type)).toEqual(['connection.created', 'connection.reauthorized']);
    expect(nodes[0]!.data).toMatchObject({ providerConfigKey: 'idp', connectionId: 'u1', endUser: { id: 'user-1', email: 'one@example.com', displayName: 'One' } });
    expect(nodes[1]!.data.endUser).toBeNull();
  });

  it('a refresh the provider refuses is connection.refresh_failed once per streak and connection.needs_reauth, with the error', async () => {
    expect((await walkFlow(`${server.url}/oauth/connect/idp?connection_id=u2`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
    // A provider that keeps failing (nothing listens at its token URL), then the grant refused.
    const closed = await freePort();
    await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret, authorization_url, token_url) VALUES ('down', 'custom', 'id', 'secret', $1, $2)`, [
      `http://127.0.0.1:${closed}/authorize`,
      `http://127.0.0.1:${closed}/token`,
    ]);
    const expired = { type: 'OAUTH2', accessToken: 'expired-access', refreshToken: 'refresh-me', tokenType: 'bearer', scopes: [], expiresAt: new Date(Date.now() - 1000).toISOString(), obtainedAt: new Date(Date.now() - 3_600_000).toISOString(), raw: {} };
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at) VALUES ('down', 'u3', $1, $2)`, [JSON.stringify(expired), expired.expiresAt]);
    const read = () => server.graphql('{ connection(providerConfigKey: "down", connectionId: "u3") { credentials { __typename } } }');
    expect((await read()).errors?.[0]?.extensions).toMatchObject({ providerError: 'provider_unreachable' });
    // The backoff waived: the second failure of the streak is no new event.
    await db.query(`UPDATE connections SET next_refresh_attempt_at = NULL WHERE connection_id = 'u3'`);
    expect((await read()).errors?.[0]?.extensions).toMatchObject({ providerError: 'provider_unreachable' });
    const failing = (await events({ id: 'u3' })).nodes;
    expect(failing.map((event) => event.type)).toEqual(['connection.refresh_failed']);
    expect(failing[0]!.data).toMatchObject({ providerConfigKey: 'down', health: 'REFRESH_FAILING', error: { code: 'provider_unreachable' } });

    // At the real provider, a refresh token it never issued: invalid_grant, the end user must connect again.
    await db.query(`UPDATE connections SET credentials = jsonb_set(credentials::jsonb, '{refreshToken}', '"never-issued"')::text, expires_at = now() - interval '1 second' WHERE connection_id = 'u2'`);
    await db.query(`UPDATE connections SET credentials = jsonb_set(credentials::jsonb, '{expiresAt}', to_jsonb((now() - interval '1 second')::text))::text WHERE connection_id = 'u2'`);
    const refused = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "u2") { credentials { __typename } } }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ providerError: 'invalid_grant' });
    const reauth = (await events({ id: 'u2', types: ['connection.refresh_failed', 'connection.needs_reauth'] })).nodes;
    // Both written by the failure's one statement: in no particular order.
    expect(reauth.map((event) => `${event.type} ${event.data.health} ${event.data.error?.code}`).sort()).toEqual([
      'connection.needs_reauth NEEDS_REAUTH invalid_grant',
      'connection.refresh_failed NEEDS_REAUTH invalid_grant',
    ]);
  });

  it('a refresh that succeeds after failures is connection.refresh_recovered', async () => {
    // u1 failing (as an outage would leave it), its tokens good: a forced refresh recovers it.
    await db.query(`UPDATE connections SET health = 'REFRESH_FAILING', refresh_failures = 2, health_code = 'provider_unreachable' WHERE connection_id = 'u1'`);
    const refreshed = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "u1") { credentials(forceRefresh: true) { __typename } } }');
    expect(refreshed.errors).toBeUndefined();
    const health = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "u1") { health { status } } }');
    expect(health.data.connection.health.status).toBe('HEALTHY');
    const recovered = (await events({ id: 'u1', types: ['connection.refresh_recovered'] })).nodes;
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.data).toMatchObject({ providerConfigKey: 'idp', connectionId: 'u1', health: 'HEALTHY', error: null });
    // A refresh of a healthy connection says nothing.
    const again = await server.graphql('{ connection(providerConfigKey: "idp", connectionId: "u1") { credentials(forceRefresh: true) { __typename } } }');
    expect(again.errors).toBeUndefined();
    expect(await typesOf('u1')).toEqual(['connection.created', 'connection.reauthorized', 'connection.refresh_recovered']);
  });

  it('deleting a connection is connection.deleted; deleting its config is connection.deleted for each and provider_config.deleted', async () => {
    const deleted = await fetch(`${server.url}/connection/u1?provider_config_key=idp`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await typesOf('u1')).at(-1)).toBe('connection.deleted');
    const gone = await server.graphql('mutation { deleteProviderConfig(key: "down") }');
    expect(gone.errors).toBeUndefined();
    const { nodes } = await events({ key: 'down', types: ['connection.deleted', 'provider_config.deleted'] });
    // Written by one statement: in no particular order.
    expect(nodes.map((event) => `${event.type} ${event.data.connectionId}`).sort()).toEqual(['connection.deleted u3', 'provider_config.deleted null']);
  });
});

describe('the events list', () => {
  it('pages after a cursor and follows what comes next; the latest page without one', async () => {
    const all = (await events()).nodes;
    expect(all.length).toBeGreaterThan(6);
    const first = await events({ after: all[0]!.id, first: 3 });
    expect(first.nodes.map((event) => event.id)).toEqual(all.slice(1, 4).map((event) => event.id));
    expect(first.pageInfo).toEqual({ endCursor: all[3]!.id, hasNextPage: true });
    const last = await events({ after: all.at(-1)!.id });
    expect(last).toEqual({ nodes: [], pageInfo: { endCursor: all.at(-1)!.id, hasNextPage: false } });
    // Something new: seen by the one who follows from the cursor.
    await server.graphql(CONFIG, { input: { key: 'later', provider: 'custom', clientId: 'id', clientSecret: 'secret', scopes: [], authorizationUrl: 'http://127.0.0.1:9/a', tokenUrl: 'http://127.0.0.1:9/t' } });
    expect((await events({ after: last.pageInfo.endCursor })).nodes.map((event) => [event.type, event.data.providerConfigKey])).toEqual([['provider_config.created', 'later']]);
    const latest = await events({ first: 2 });
    expect(latest.nodes.map((event) => event.data.providerConfigKey)).toEqual([all.at(-1)!.data.providerConfigKey, 'later']);
  });

  it('refuses an unknown type, a cursor it did not give, and a page size out of range, as invalid_input', async () => {
    for (const variables of [{ types: ['connection.exploded'] }, { after: '1 OR 1=1' }, { first: 0 }, { first: 101 }]) {
      const body = await server.graphql(EVENTS, variables);
      expect(body.errors?.[0]?.extensions?.code).toBe('invalid_input');
    }
  });

  it('holds no token, code or secret in any event', async () => {
    const { rows } = await db.query('SELECT data::text AS data FROM events');
    const tokens = await db.query(`SELECT credentials FROM connections`);
    const secrets = [TEST_CLIENT.client_secret, 'refresh-me', 'expired-access', 'never-issued'];
    for (const { credentials } of tokens.rows) {
      const parsed = JSON.parse(credentials) as { accessToken: string; refreshToken?: string };
      secrets.push(parsed.accessToken, ...(parsed.refreshToken ? [parsed.refreshToken] : []));
    }
    const text = JSON.stringify(rows) + JSON.stringify((await events()).nodes);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('the CLI', () => {
  it('events:list shows the latest events of a type, and --json the same as the API', async () => {
    const listed = await runNango(['events:list', '--type', 'connection.needs_reauth'], { NANGO_HOSTPORT: server.url });
    expect(listed.code).toBe(0);
    const [header, , ...rows] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^TIME\s+TYPE\s+ABOUT\s+ID$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/connection\.needs_reauth\s+idp \/ u2 \(NEEDS_REAUTH, invalid_grant: .*\)\s+evt_[0-9a-f]{32}$/);
    const json = await runNango(['events:list', '--limit', '3', '--json'], { NANGO_HOSTPORT: server.url });
    expect(JSON.parse(json.stdout)).toEqual((await events({ first: 3 })).nodes);
    const refused = await runNango(['events:list', '--type', 'nope'], { NANGO_HOSTPORT: server.url });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not one of');
  });

  it('events:tail prints what happens after it started, and nothing from before', async () => {
    const tail = spawn(process.execPath, [NANGO, 'events:tail', '--json', '--provider-config-key', 'tailed'], { env: { PATH: process.env.PATH ?? '', NANGO_HOSTPORT: server.url } });
    let out = '';
    tail.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    try {
      // Started when its first request has been answered: give it a moment, then make something happen.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const made = await server.graphql(CONFIG, { input: { key: 'tailed', provider: 'custom', clientId: 'id', clientSecret: 'secret', scopes: [], authorizationUrl: 'http://127.0.0.1:9/a', tokenUrl: 'http://127.0.0.1:9/t' } });
      expect(made.errors).toBeUndefined();
      for (let waited = 0; !out.includes('\n') && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      const lines = out.trim().split('\n').map((line) => JSON.parse(line) as EventNode);
      expect(lines.map((event) => [event.type, event.data.providerConfigKey])).toEqual([['provider_config.created', 'tailed']]);
    } finally {
      tail.kill();
    }
  });
});

describe('a backend developer', () => {
  it('registers an endpoint from the CLI, connects a user, and receives a signed connection.created', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/nango`;
      const created = await runNango(['webhook:create', url, '--event', 'connection.created'], { NANGO_HOSTPORT: server.url });
      expect(created.code).toBe(0);
      const secret = /^secret: (whsec_\S+)$/m.exec(created.stdout)![1]!;
      expect((await walkFlow(`${server.url}/oauth/connect/idp?connection_id=webhooked`)).message?.eventType).toBe('AUTHORIZATION_SUCEEDED');
      for (let waited = 0; received.length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const [delivery] = received;
      const event = new Webhook(secret).verify(delivery!.body, {
        'webhook-id': String(delivery!.headers['webhook-id']),
        'webhook-timestamp': String(delivery!.headers['webhook-timestamp']),
        'webhook-signature': String(delivery!.headers['webhook-signature']),
      });
      expect(event).toMatchObject({ type: 'connection.created', data: { providerConfigKey: 'idp', connectionId: 'webhooked' } });
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });
});

