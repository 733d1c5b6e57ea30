// The attack (a careless one): a backend uploads through the proxy with
// `Expect: 100-continue`, as curl does for large bodies and many HTTP clients
// do for uploads. The server answers the 100 itself; the header must not be
// passed on, or undici refuses the whole call and the proxy reports the
// provider unreachable (502) for a call it never made, retrying it meanwhile.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { HARNESS_SECRET_KEY, startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

let harness: ProxyHarness;

beforeAll(async () => {
  harness = await startProxyHarness({ apiKey: 'key-expect-0123456789-abcdef' });
});

afterAll(async () => {
  await harness?.close();
});

/** A PUT sent the way curl sends a large upload: headers first, the body once the server says 100 Continue. */
function putExpectingContinue(path: string, body: Buffer, retries: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(harness.server.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/proxy${path}`,
        headers: { authorization: `Bearer ${HARNESS_SECRET_KEY}`, 'provider-config-key': 'apikey', 'connection-id': 'u1', 'content-length': String(body.length), expect: '100-continue', retries },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('continue', () => request.end(body));
    request.on('error', reject);
  });
}

it('passes an upload sent with Expect: 100-continue on to the provider, once, without the expectation', async () => {
  const body = Buffer.alloc(4096, 'x');
  const answer = await putExpectingContinue('/files/a.bin', body, '2');
  expect(answer.status).toBe(200);
  const seen = harness.api.received.filter((request) => request.url === '/v1/files/a.bin');
  expect(seen).toHaveLength(1);
  expect(seen[0]!.body.equals(body)).toBe(true);
  expect(seen[0]!.headers.expect).toBeUndefined();
});
