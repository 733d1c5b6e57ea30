import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderCallError } from './oauth2-client.js';
import { revokeToken, type RevocationRequest } from './token-revocation.js';
import { DEVELOPMENT_URL_POLICY } from './url-policy.js';

// What the endpoint answers, by path.
const ANSWERS: Record<string, { status: number; headers?: Record<string, string>; body?: string }> = {
  '/ok': { status: 200 },
  '/error-in-200': { status: 200, headers: { 'content-type': 'application/json' }, body: '{"error":"unsupported_token_type"}' },
  '/redirect': { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } },
  '/html-503': { status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>down</h1>' },
};

let server: http.Server;
let base: string;
const received: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(req.url ?? '');
    const answer = ANSWERS[req.url ?? ''] ?? { status: 404 };
    req.resume();
    req.on('end', () => res.writeHead(answer.status, answer.headers).end(answer.body ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request = (path: string): RevocationRequest => ({
  endpoint: `${base}${path}`,
  clientId: 'id',
  clientSecret: 'secret',
  authorizationMethod: 'body',
  token: 'rt-1',
  tokenTypeHint: 'refresh_token',
});
const development = { timeoutSeconds: 2, policy: DEVELOPMENT_URL_POLICY };

async function failureOf(promise: Promise<void>): Promise<ProviderCallError> {
  const error = await promise.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ProviderCallError);
  return error as ProviderCallError;
}

describe('token revocation', () => {
  it('is accepted on a 2xx without an error body', async () => {
    await expect(revokeToken(request('/ok'), development)).resolves.toBeUndefined();
  });

  it('reads an OAuth error even inside a 200, and an HTTP error without one', async () => {
    expect(await failureOf(revokeToken(request('/error-in-200'), development))).toMatchObject({ failure: 'rejected', providerCode: 'unsupported_token_type' });
    expect(await failureOf(revokeToken(request('/html-503'), development))).toMatchObject({ failure: 'rejected', providerCode: 'http_503' });
  });

  it('follows no redirect', async () => {
    const before = received.length;
    expect(await failureOf(revokeToken(request('/redirect'), development))).toMatchObject({ failure: 'bad_response' });
    expect(received.slice(before)).toEqual(['/redirect']);
  });

  it('sends nothing to a loopback endpoint under the deployment URL policy', async () => {
    const before = received.length;
    const refused = await failureOf(revokeToken(request('/ok'), { timeoutSeconds: 2, policy: { privateAddresses: 'refused' } }));
    expect(refused).toMatchObject({ failure: 'unreachable' });
    expect(refused.message).toContain('refused');
    expect(received.length).toBe(before);
  });
});
