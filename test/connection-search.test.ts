// Query.connections(search:) finds connections by the start of their id or of
// their end user's id, email or name, whatever a person types into the
// dashboard's search box: LIKE's metacharacters match only themselves, and
// input no identifier could hold is refused as invalid_input, never a 500.
// ProviderConfig.connectionCount says what deleting a config deletes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startInProcessServer, type InProcessServer } from './support/in-process.js';

let server: InProcessServer;
let db: pg.Client;

const ROWS: Array<[key: string, id: string, endUser: [id: string, email: string | null, name: string | null] | null]> = [
  ['gh', 'user-1', ['acct_42', 'Alice@Example.com', 'Alice Liddell']],
  ['gh', 'user-2', ['acct_7', null, 'Bob']],
  ['gh', 'team-1', null],
  ['gh', 'a%b', null],
  ['gh', 'a_b', null],
  ['gh', 'axb', null],
  ['gh', 'a\\b', null],
  ['gh', '%all', null],
  ['other', 'user-3', ['acct_420', 'carol@example.com', null]],
];

beforeAll(async () => {
  server = await startInProcessServer();
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  for (const key of ['gh', 'other', 'empty']) await db.query(`INSERT INTO provider_configs (key, provider, client_id, client_secret) VALUES ($1, 'github', 'id', 's')`, [key]);
  for (const [key, id, endUser] of ROWS) {
    await db.query(`INSERT INTO connections (provider_config_key, connection_id, credentials, end_user_id, end_user_email, end_user_display_name) VALUES ($1, $2, '{}', $3, $4, $5)`, [
      key,
      id,
      ...(endUser ?? [null, null, null]),
    ]);
  }
  await db.query(`UPDATE connections SET health = 'NEEDS_REAUTH' WHERE connection_id = 'user-2'`);
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

async function search(text: string, extra = ''): Promise<string[]> {
  const result = await server.graphql(`query ($search: String) { connections(search: $search ${extra}) { nodes { connectionId } } }`, { search: text });
  expect(result.errors).toBeUndefined();
  return (result.data.connections.nodes as Array<{ connectionId: string }>).map((node) => node.connectionId).sort();
}

async function refused(text: string): Promise<{ code: unknown; field: unknown; message: string }> {
  const result = await server.graphql('query ($search: String) { connections(search: $search) { nodes { connectionId } } }', { search: text });
  const error = result.errors?.[0];
  return { code: error?.extensions?.code, field: error?.extensions?.field, message: error?.message ?? '' };
}

describe('searching connections', () => {
  it('finds them by the start of the connection id or of the end user id, email or name, in any case', async () => {
    expect(await search('user-')).toEqual(['user-1', 'user-2', 'user-3']);
    expect(await search('USER-1')).toEqual(['user-1']);
    expect(await search('acct_42')).toEqual(['user-1', 'user-3']);
    expect(await search('alice@')).toEqual(['user-1']);
    expect(await search('bob')).toEqual(['user-2']);
    expect(await search('alice l')).toEqual(['user-1']);
    // By the start only: what the indexes can find without reading every row.
    expect(await search('example.com')).toEqual([]);
    expect(await search('  team  ')).toEqual(['team-1']);
  });

  it('matches LIKE metacharacters literally', async () => {
    expect(await search('a%')).toEqual(['a%b']);
    expect(await search('a_')).toEqual(['a_b']);
    expect(await search('a\\')).toEqual(['a\\b']);
    expect(await search('%')).toEqual(['%all']);
    expect(await search('_')).toEqual([]);
    expect(await search('\\')).toEqual([]);
  });

  it('combines with the config and health filters and pages with the same cursor', async () => {
    expect(await search('user-', ', providerConfigKey: "gh"')).toEqual(['user-1', 'user-2']);
    expect(await search('user-', ', health: NEEDS_REAUTH')).toEqual(['user-2']);
    const first = await server.graphql('{ connections(search: "user", first: 2) { nodes { connectionId } pageInfo { endCursor hasNextPage } } }');
    expect(first.data.connections.nodes).toEqual([{ connectionId: 'user-3' }, { connectionId: 'user-2' }]);
    const rest = await server.graphql('query ($after: String) { connections(search: "user", first: 2, after: $after) { nodes { connectionId } pageInfo { hasNextPage } } }', {
      after: first.data.connections.pageInfo.endCursor,
    });
    expect(rest.data.connections).toEqual({ nodes: [{ connectionId: 'user-1' }], pageInfo: { hasNextPage: false } });
  });

  it('treats a blank search as none, and shows each connection its end user', async () => {
    expect(await search('   ')).toHaveLength(ROWS.length);
    const result = await server.graphql('{ connections(search: "user-1") { nodes { endUser { id email displayName } } } }');
    expect(result.data.connections.nodes).toEqual([{ endUser: { id: 'acct_42', email: 'Alice@Example.com', displayName: 'Alice Liddell' } }]);
    // One connection read by key and id (the token read's row, which leaves the end user out) shows it too.
    const one = await server.graphql(`{ connection(providerConfigKey: "${ROWS.find((row) => row[1] === 'user-1')![0]}", connectionId: "user-1") { endUser { id email displayName } } }`);
    expect(one.data.connection.endUser).toEqual({ id: 'acct_42', email: 'Alice@Example.com', displayName: 'Alice Liddell' });
  });

  it('refuses what no identifier could hold, as invalid_input on the search field', async () => {
    for (const text of ['x'.repeat(256), 'y'.repeat(60_000), 'nul\u0000byte', 'line\nbreak']) {
      const answer = await refused(text);
      expect([answer.code, answer.field]).toEqual(['invalid_input', 'search']);
      // The refusal does not echo a megabyte back.
      expect(answer.message.length).toBeLessThan(200);
    }
    expect(await search('x'.repeat(255))).toEqual([]);
    // A megabyte does not reach the resolver: the edge refuses the body.
    expect((await refused('y'.repeat(1_000_000))).code).toBe('payload_too_large');
  });

  it('filters the list entries read as one text the same way', async () => {
    // The summaries' read (one text a page) takes the same filter.
    const result = await server.graphql('{ connections(search: "a%") { nodes { connectionId createdAt } } }');
    expect(result.data.connections.nodes.map((node: { connectionId: string }) => node.connectionId)).toEqual(['a%b']);
  });
});

describe('a provider config says how many connections it has', () => {
  it('counts them, so that deleting it can say what goes with it', async () => {
    const result = await server.graphql('{ providerConfigs { key connectionCount } }');
    expect(result.data.providerConfigs).toEqual([
      { key: 'empty', connectionCount: 0 },
      { key: 'gh', connectionCount: 8 },
      { key: 'other', connectionCount: 1 },
    ]);
  });
});
