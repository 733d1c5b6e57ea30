// Attack: an Authorization header that holds the secret key and something
// else (a second word, other separators, a Basic password). A server that reads
// it charitably takes headers its clients never send, and what sits beside the
// key goes unseen. Exactly `Bearer <key>` and `Basic base64(<key>:)` (what
// @nangohq/node 0.9 sends) are accepted, on every face and both dispatchers.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../support/server.js';

const KEY = 'sk-attack-test-0123456789abcdef';
const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { NANGO_SECRET_KEY: KEY } });
});
afterAll(async () => {
  await server?.stop();
});

/** One request with the header's bytes exactly as given (fetch would normalize some of them). */
function send(method: string, path: string, authorization: string, body?: { json: string; chunked?: true }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const headers: Record<string, string> = { authorization };
    if (body) headers['content-type'] = 'application/json';
    // Without a length the body is sent chunked, which the fast path leaves to the router.
    if (body && !body.chunked) headers['content-length'] = String(Buffer.byteLength(body.json));
    const request = http.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    request.on('error', reject);
    if (body) request.write(body.json);
    request.end();
  });
}

const OPERATION = JSON.stringify({ query: '{ providerConfigs { key } }' });

// The token read, the list and GraphQL on the fast path; a route and GraphQL through the router.
const FACES = [
  { name: 'REST token read', request: (header: string) => send('GET', '/connection/nobody?provider_config_key=nothing', header), accepted: 404 },
  { name: 'REST list', request: (header: string) => send('GET', '/connection', header), accepted: 200 },
  { name: 'REST delete (router)', request: (header: string) => send('DELETE', '/connection/nobody?provider_config_key=nothing', header), accepted: 404 },
  { name: 'GraphQL', request: (header: string) => send('POST', '/graphql', header, { json: OPERATION }), accepted: 200 },
  { name: 'GraphQL (router)', request: (header: string) => send('POST', '/graphql', header, { json: OPERATION, chunked: true }), accepted: 200 },
];

const REFUSED: Array<[string, string]> = [
  ['a word after the key', `Bearer ${KEY} junk`],
  ['the key twice', `Bearer ${KEY} ${KEY}`],
  ['two spaces', `Bearer  ${KEY}`],
  ['a tab as separator', `Bearer\t${KEY}`],
  ['a tab after the key', `Bearer ${KEY}\tjunk`],
  ['trailing junk glued to the key', `Bearer ${KEY},junk`],
  ['Basic with a password', basic(`${KEY}:password`)],
  ['Basic without the colon', basic(KEY)],
  ['Basic with a word after it', `${basic(`${KEY}:`)} junk`],
  ['Basic with two spaces', `Basic  ${Buffer.from(`${KEY}:`).toString('base64')}`],
  ['no scheme', KEY],
];

describe('the Authorization header', () => {
  for (const face of FACES) {
    it.each(REFUSED)(`${face.name}: refuses %s with 401 invalid_secret_key`, async (_name, header) => {
      const answer = await face.request(header);
      expect(answer.status).toBe(401);
      const code = answer.body.error?.code ?? answer.body.errors?.[0]?.extensions?.code;
      expect(code).toBe('invalid_secret_key');
    });

    it(`${face.name}: accepts exactly "Bearer <key>" and "Basic base64(<key>:)", as @nangohq/node 0.9 sends it`, async () => {
      for (const header of [`Bearer ${KEY}`, `bearer ${KEY}`, basic(`${KEY}:`)]) {
        expect((await face.request(header)).status).toBe(face.accepted);
      }
    });
  }
});
