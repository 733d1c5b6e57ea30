// POST /graphql from a backend is served by a lane in front of Yoga's HTTP
// layer (server/http/graphql-lane.ts); a request with an Origin header still
// goes through Yoga whole. These tests hold the two to the same answers, in
// both orders, since they share Yoga's parse and validation caches.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import pg from 'pg';
import { ValidatedDocuments } from '../server/http/graphql-lane.js';
import { seedGithubConnections } from './support/database.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET = 'sk-graphql-lane-secret';
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: SECRET } });
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  await seedGithubConnections(db, ['u1'], 'lane-token');
});
afterAll(async () => {
  await db?.end();
  await server?.stop();
});

interface Answer {
  status: number;
  type: string | null;
  headers: Record<string, string>;
  body: unknown;
}

// Per connection, per moment or per Origin: the rest of the headers must match.
const UNCOMPARED = /^(date|connection|keep-alive|vary|access-control-.*)$/;

async function post(body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, ...headers },
    body,
  });
  const compared = Object.fromEntries([...response.headers].filter(([name]) => !UNCOMPARED.test(name)));
  return { status: response.status, type: response.headers.get('content-type'), headers: compared, body: await response.json() };
}

const TOKEN = 'query T($k: String!, $c: String!) { connection(providerConfigKey: $k, connectionId: $c) { credentials { ... on OAuth2Credentials { accessToken } } } }';
const aliases = Array.from({ length: 50 }, (_, index) => `a${index}: providers { name }`).join(' ');

// [name, JSON body (a function of a tag that makes each document new to the caches), extra headers]
const cases: Array<[string, (tag: string) => string, Record<string, string>?]> = [
  ['a token read', (tag) => JSON.stringify({ query: `${TOKEN} # ${tag}`, variables: { k: 'github', c: 'u1' } })],
  ['an unknown connection', (tag) => JSON.stringify({ query: `${TOKEN} # ${tag}`, variables: { k: 'github', c: 'nobody' } })],
  ['a variable of the wrong type', (tag) => JSON.stringify({ query: `${TOKEN} # ${tag}`, variables: { k: 'github', c: 42 } })],
  ['a missing variable', (tag) => JSON.stringify({ query: `${TOKEN} # ${tag}`, variables: { k: 'github' } })],
  ['a syntax error', (tag) => JSON.stringify({ query: `{ providers { name # ${tag}\n` })],
  ['an unknown field', (tag) => JSON.stringify({ query: `{ nope } # ${tag}` })],
  ['an alias bomb', (tag) => JSON.stringify({ query: `{ ${aliases} } # ${tag}` })],
  ['an unknown operation name', (tag) => JSON.stringify({ query: `query A { providers { name } } # ${tag}`, operationName: 'B' })],
  ['a mutation that fails', (tag) => JSON.stringify({ query: `mutation { deleteProviderConfig(key: "nobody") } # ${tag}` })],
  ['a batch', (tag) => JSON.stringify([{ query: `{ providers { name } } # ${tag}` }])],
  ['no query', () => JSON.stringify({ variables: {} })],
  ['a body that is not JSON', (tag) => `{"query": "{ providers { name } } # ${tag}"`],
  ['extensions', (tag) => JSON.stringify({ query: `{ providerConfigs { key } } # ${tag}`, extensions: { persistedQuery: { version: 1 } } })],
  ['the generated client\'s Accept', (tag) => JSON.stringify({ query: `${TOKEN} # ${tag}`, variables: { k: 'github', c: 'nobody' } }), { accept: 'application/graphql-response+json, application/json' }],
  ['the spec\'s Accept with an error', (tag) => JSON.stringify({ query: `{ nope } # ${tag}` }), { accept: 'application/graphql-response+json' }],
  ['Accept */*', (tag) => JSON.stringify({ query: `{ providerConfigs { key } } # ${tag}` }), { accept: '*/*' }],
];

describe('the validated documents the lane remembers', () => {
  it('holds at most its capacity, letting the oldest go', () => {
    const documents = new ValidatedDocuments(2);
    for (const query of ['{ a }', '{ b }', '{ c }']) documents.remember(query, parse(query));
    expect(documents.size).toBe(2);
    expect(documents.get('{ a }')).toBeUndefined();
    expect(documents.get('{ c }')?.kind).toBe('Document');
  });
});

describe('the GraphQL lane', () => {
  it.each(cases)('answers %s as Yoga does', async (_name, body, headers = {}) => {
    // Lane first, then Yoga (the Origin header sends a request through Yoga whole), and the reverse.
    const laneFirst = await post(body('lane-first'), headers);
    const yogaSecond = await post(body('lane-first'), { ...headers, origin: 'http://localhost' });
    const yogaFirst = await post(body('yoga-first'), { ...headers, origin: 'http://localhost' });
    const laneSecond = await post(body('yoga-first'), headers);
    // Once more: a document the lane has seen validate goes straight to execution.
    const laneAgain = await post(body('yoga-first'), headers);
    expect(laneFirst).toEqual(yogaSecond);
    expect(laneAgain).toEqual(laneSecond);
    expect(laneSecond).toEqual(yogaFirst);
    expect(laneFirst).toEqual(laneSecond);
  });

  it('reads a token', async () => {
    const answer = await post(JSON.stringify({ query: TOKEN, variables: { k: 'github', c: 'u1' } }), {});
    expect(answer).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: { data: { connection: { credentials: { accessToken: 'lane-token' } } } } });
  });

  it('gives up on a body cut off half way, and goes on serving', async () => {
    const url = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${SECRET}\r\ncontent-length: 100\r\n\r\n{"query":`);
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const answer = await post(JSON.stringify({ query: '{ providerConfigs { key } }' }), {});
    expect(answer.status).toBe(200);
  });

  it('leaves a request without the key to the router, which refuses it in the GraphQL shape', async () => {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ providerConfigs { key } }' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="nango"');
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('missing_auth_header');
  });
});
