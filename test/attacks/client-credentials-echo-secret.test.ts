// The attack: a token endpoint whose refusal of the client credentials grant
// repeats the client secret it was sent (in its error_description), so that
// createConnection's error — and the log — hand out a secret the API promises
// never to return.
import { Writable } from 'node:stream';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../server/log.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CLIENT_SECRET = 'cc-secret-Q7w8E9r0T1y2U3i4';
const lines: string[] = [];
let tokenEndpoint: http.Server;
let tokenUrl: string;
let server: TestServer;

beforeAll(async () => {
  tokenEndpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      const secret = form.get('client_secret') ?? decodeURIComponent(basic.split(':')[1] ?? '');
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client', error_description: `Client authentication failed: no client with secret ${secret}` }));
    });
  });
  await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/token`;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  server = await startTestServer({ logger: createLogger('trace', sink) });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => tokenEndpoint?.close(resolve));
});

describe('a token endpoint that repeats the client secret in its refusal', () => {
  it("shows the provider's refusal without the secret, in the answer and in the log", async () => {
    const config = await server.graphql(`mutation($input: CreateProviderConfigInput!) { createProviderConfig(input: $input) { key } }`, {
      input: { key: 'machine', provider: 'custom-oauth2-cc', clientId: 'machine-client', clientSecret: CLIENT_SECRET, tokenUrl },
    });
    expect(config.errors).toBeUndefined();
    const failed = await server.graphql(`mutation { createConnection(input: { providerConfigKey: "machine", connectionId: "svc" }) { connectionId } }`);
    expect(failed.errors?.[0]?.extensions?.code).toBe('token_error');
    expect(failed.errors?.[0]?.message).toContain('invalid_client');
    expect(failed.errors?.[0]?.message).toContain('Client authentication failed');
    expect(failed.errors?.[0]?.message).not.toContain(CLIENT_SECRET);
    expect(lines.filter((line) => line.includes(CLIENT_SECRET))).toEqual([]);
  });
});
