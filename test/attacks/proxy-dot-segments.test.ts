// The attack: climb above the configured base path with a dot segment that the
// proxy does not read as one but the provider's server does. Java servers
// (Tomcat, Jetty, Spring) drop a segment's `;params` before resolving dot
// segments, so `/..;/` is `/../` to them; servers that normalise Unicode
// (NFKC) read a fullwidth `．．` or `‥` as `..` and a fullwidth `／` as `/`.
// A base URL such as https://api.example.com/v1/tenants/acme must not be left
// upwards by any of these; ordinary `;params` in a segment still pass.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

let harness: ProxyHarness;

beforeAll(async () => {
  harness = await startProxyHarness({ apiKey: 'key-dots-0123456789-abcdef' });
});

afterAll(async () => {
  await harness?.close();
});

it.each([
  ['/..;/admin'],
  ['/a/..;/..;/admin'],
  ['/.;/admin'],
  ['/..;jsessionid=x/admin'],
  ['/%2e%2e;/admin'],
  ['/..%3b/admin'],
  ['/%EF%BC%8E%EF%BC%8E/admin'],
  ['/%E2%80%A5/admin'],
  ['/a%EF%BC%8F..%EF%BC%8F..%EF%BC%8Fadmin'],
  ['/a%EF%BC%BC..%EF%BC%BCadmin'],
])('refuses %s before anything reaches the provider', async (path) => {
  const before = harness.api.received.length;
  const answer = await harness.raw(`GET /proxy${path} HTTP/1.1\r\nhost: x\r\n${harness.rawHeaders}connection: close\r\n\r\n`);
  expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  expect(answer).toContain('x-nango-proxy-error: invalid_input');
  expect(harness.api.received.slice(before).map((request) => request.url)).toEqual([]);
});

it('still passes matrix parameters and dots that are not whole segments', async () => {
  for (const path of ['/items;v=1/x', '/a..b/c', '/...', '/file.tar.gz', '/caf%C3%A9']) {
    const response = await harness.proxy(path);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { url: string }).url).toBe(`/v1${path}`);
  }
});
