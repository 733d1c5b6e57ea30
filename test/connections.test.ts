import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runNango, type CliRun } from './support/cli.js';
import { startTestServer, type TestServer } from './support/server.js';

const PAGE = 'connections(providerConfigKey: $key, first: $first, after: $after) { nodes { connectionId providerConfigKey } pageInfo { endCursor hasNextPage } }';
const LIST = `query List($key: String, $first: Int, $after: String) { ${PAGE} }`;

let server: TestServer;
let db: pg.Client;

function nango(args: string[]): Promise<CliRun> {
  return runNango(args, { NANGO_HOSTPORT: server.url });
}

beforeAll(async () => {
  server = await startTestServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ('github', 'github', 'id', 's'), ('slack', 'slack', 'id', 's')`);
  // Created in this order: u1 is the oldest.
  for (const [key, id] of [['github', 'u1'], ['github', 'u2'], ['slack', 'u3'], ['github', 'u4'], ['github', 'u5']]) {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, connection_config) VALUES ($1, $2, '{}', '{"subdomain":"acme"}')`, [key, id]);
  }
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

describe('connections over GraphQL', () => {
  it('pages through every connection, newest first, without repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const body: any = await server.graphql(LIST, { first: 2, after });
      expect(body.errors).toBeUndefined();
      seen.push(...body.data.connections.nodes.map((node: { connectionId: string }) => node.connectionId));
      if (!body.data.connections.pageInfo.hasNextPage) break;
      after = body.data.connections.pageInfo.endCursor;
    }
    expect(seen).toEqual(['u5', 'u4', 'u3', 'u2', 'u1']);
  });

  it('filters by provider config key', async () => {
    const body = await server.graphql(LIST, { key: 'slack' });
    expect(body.data.connections).toEqual({ nodes: [{ connectionId: 'u3', providerConfigKey: 'slack' }], pageInfo: { endCursor: expect.any(String), hasNextPage: false } });
  });

  it('rejects a page size out of range and a forged cursor, naming the argument', async () => {
    const tooMany = await server.graphql(LIST, { first: 1000 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_input', field: 'first' });
    const forged = await server.graphql(LIST, { after: 'bm90LWEtY3Vyc29y' });
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_input', field: 'after' });
  });

  it('answers a page alike whether it asks only what a list entry shows (read as summaries) or more', async () => {
    const entries: any = await server.graphql('{ connections(first: 10) { nodes { __typename connectionId providerConfigKey createdAt } } }');
    const whole: any = await server.graphql('{ connections(first: 10) { nodes { connectionId providerConfigKey createdAt updatedAt provider connectionConfig metadata lastRefreshSuccess lastRefreshFailure { code } } } }');
    expect(entries.errors).toBeUndefined();
    expect(whole.errors).toBeUndefined();
    expect(entries.data.connections.nodes).toEqual(
      whole.data.connections.nodes.map((node: any) => ({ __typename: 'Connection', connectionId: node.connectionId, providerConfigKey: node.providerConfigKey, createdAt: node.createdAt })),
    );
    expect(whole.data.connections.nodes[0]).toMatchObject({ connectionId: 'u5', provider: 'github', connectionConfig: { subdomain: 'acme' }, metadata: {}, lastRefreshSuccess: null });
  });

  it('reads whole connections when a fragment, an inline fragment or an alias asks for more than a list entry shows', async () => {
    const queries = [
      'fragment Entry on Connection { connectionId provider } { connections(first: 2) { nodes { ...Entry } } }',
      '{ connections(first: 2) { ... on ConnectionPage { nodes { connectionId ... on Connection { provider } } } } }',
      'fragment Page on ConnectionPage { nodes { connectionId kind: provider } } { connections(first: 2) { ...Page } }',
      '{ connections(first: 2) { nodes { connectionId } more: nodes { connectionId provider } } }',
    ];
    for (const query of queries) {
      const body: any = await server.graphql(query);
      expect(body.errors).toBeUndefined();
      const nodes = body.data.connections.more ?? body.data.connections.nodes;
      expect(nodes.map((node: any) => node.provider ?? node.kind)).toEqual(['github', 'github']);
    }
  });

  it('reads one connection with its config, and answers unknown_connection otherwise', async () => {
    const found = await server.graphql('{ connection(providerConfigKey: "github", connectionId: "u1") { connectionId provider connectionConfig metadata createdAt } }');
    expect(found.data.connection).toMatchObject({ connectionId: 'u1', provider: 'github', connectionConfig: { subdomain: 'acme' }, metadata: {} });
    const missing = await server.graphql('{ connection(providerConfigKey: "github", connectionId: "nobody") { connectionId } }');
    expect(missing.errors?.[0]?.extensions).toEqual({ code: 'unknown_connection', providerConfigKey: 'github', connectionId: 'nobody' });
  });

  it('deletes a connection once', async () => {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('github', 'doomed', '{}')`);
    const deleted = await server.graphql('mutation { deleteConnection(providerConfigKey: "github", connectionId: "doomed") }');
    expect(deleted.data).toEqual({ deleteConnection: true });
    const again = await server.graphql('mutation { deleteConnection(providerConfigKey: "github", connectionId: "doomed") }');
    expect(again.errors?.[0]?.extensions?.code).toBe('unknown_connection');
  });
});

describe('connections over REST', () => {
  it('pages through every connection, newest first, as Nango 0.x list entries with a cursor', async () => {
    const seen: Array<Record<string, unknown>> = [];
    let path = '/connection?first=2';
    for (let page = 0; page < 5; page++) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { connections: Array<Record<string, unknown>>; next_cursor: string | null };
      seen.push(...body.connections);
      if (!body.next_cursor) break;
      path = `/connection?first=2&after=${body.next_cursor}`;
    }
    expect(seen.map((entry) => entry.connection_id)).toEqual(['u5', 'u4', 'u3', 'u2', 'u1']);
    // Each entry as Nango 0.x showed it: `provider` is the config key; `created` the same instant GraphQL gives.
    const graphql = await server.graphql('{ connections(first: 10) { nodes { connectionId createdAt } } }');
    const byId = new Map(graphql.data.connections.nodes.map((node: { connectionId: string }) => [node.connectionId, node]));
    for (const entry of seen) {
      expect(Object.keys(entry).sort()).toEqual(['connection_id', 'created', 'id', 'provider']);
      const node = byId.get(entry.connection_id as string) as { createdAt: string };
      expect(entry).toEqual({ id: expect.stringMatching(/^\d+$/), connection_id: entry.connection_id, provider: entry.connection_id === 'u3' ? 'slack' : 'github', created: node.createdAt });
      expect(entry.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('filters by provider config key', async () => {
    const body = (await (await fetch(`${server.url}/connection?provider_config_key=slack`)).json()) as { connections: unknown[]; next_cursor: unknown };
    expect(body).toEqual({ connections: [expect.objectContaining({ connection_id: 'u3', provider: 'slack' })], next_cursor: null });
  });
});

describe('the nango connection commands', () => {
  it('lists connections in a table and as JSON, optionally for one config', async () => {
    const table = await nango(['connection:list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONNECTION ID\s+PROVIDER CONFIG KEY\s+PROVIDER\s+HEALTH\s+CREATED$/);
    expect(lines[2]).toMatch(/^u5\s+github\s+github\s+HEALTHY\s+\d{4}-/);

    const json = await nango(['connection:list', '--provider-config-key', 'slack', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ connectionId: 'u3', providerConfigKey: 'slack', provider: 'slack' })]);
  });

  it('shows and deletes one connection', async () => {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials) VALUES ('github', 'cli-user', '{}')`);
    const shown = await nango(['connection:get', 'github', 'cli-user']);
    expect(shown.stdout).toContain('connection id:       cli-user');
    const deleted = await nango(['connection:delete', 'github', 'cli-user']);
    expect(deleted.stdout).toBe('✅ Connection "cli-user" of "github" deleted.\n');
    const gone = await nango(['connection:get', 'github', 'cli-user']);
    expect(gone).toMatchObject({ code: 1, stderr: '❌ No connection "cli-user" for provider config "github".\n' });
  });
});
