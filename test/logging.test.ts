import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../server/log.js';
import { startTestServer, type TestServer } from './support/server.js';

const SECRET = 'log-canary-secret-7f3a9c';
const lines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // The most talkative level: nothing logged at any level may carry a secret.
  server = await startTestServer({ logger: createLogger('trace', sink) });
});
afterAll(async () => {
  await server?.stop();
});

describe('logs', () => {
  it('write one info line per request, and never the client secret', async () => {
    const before = lines.length;
    await server.graphql(
      'mutation Create($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }',
      { input: { key: 'logged', provider: 'github', clientId: 'id', clientSecret: SECRET, scopes: ['repo'] } },
    );
    await server.graphql(
      `mutation { updateProviderConfig(input: { key: "logged", clientSecret: "${SECRET}-inline" }) { key } }`,
    );
    await server.graphql(`mutation { createProviderConfig(input: { key: "logged", provider: "github", clientId: "id", clientSecret: "${SECRET}", scopes: [] }) { key } }`);

    const requestLines = lines.slice(before).map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
    expect(requestLines).toEqual([
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 200 }),
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 200 }),
      expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', status: 409 }), // the duplicate key
    ]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});
