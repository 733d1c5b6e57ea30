// The attack (a provider's, or a careless one): a 429 whose Retry-After is not
// whole seconds. Shopify sends `Retry-After: 2.0`; others send `1.5` or worse.
// V8's Date.parse reads "1.5" and "-1" as dates in 2001, long past, so the
// proxy retried at once, spending every retry the caller allowed within
// milliseconds against an API that had just asked it to slow down. Seconds
// with a fraction are seconds; a value that is neither seconds nor an HTTP
// date is no instruction, and the proxy backs off as it does without one.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

let harness: ProxyHarness;

beforeAll(async () => {
  harness = await startProxyHarness({ apiKey: 'key-retry-0123456789-abcdef', env: { NANGO_PROXY_RETRY_BUDGET_MS: '6000' } });
});

afterAll(async () => {
  await harness?.close();
});

/** The gap between the first call (a 429 saying `retryAfter`) and the retry, which succeeds. */
async function gapAfter(path: string, retryAfter: string): Promise<number> {
  const times: number[] = [];
  harness.api.handlers.set(`/v1${path}`, (_request, res) => {
    times.push(Date.now());
    if (times.length === 1) {
      res.statusCode = 429;
      res.setHeader('retry-after', retryAfter);
      res.end('slow down');
      return;
    }
    res.end('ok');
  });
  const response = await harness.proxy(path, { headers: { retries: '3' } });
  expect(response.status).toBe(200);
  expect(times).toHaveLength(2);
  return times[1]! - times[0]!;
}

it('waits the fractional seconds a Retry-After of 1.5 asks for', async () => {
  expect(await gapAfter('/fraction', '1.5')).toBeGreaterThanOrEqual(1450);
});

it('waits the 2 seconds of Shopify’s Retry-After: 2.0', async () => {
  expect(await gapAfter('/shopify', '2.0')).toBeGreaterThanOrEqual(1950);
});

it.each([['-1'], ['0.5e9'], ['soon']])('backs off (never retries at once) after a Retry-After of %j', async (value) => {
  // The first backoff is 250-500 ms.
  expect(await gapAfter(`/odd${encodeURIComponent(value)}`, value)).toBeGreaterThanOrEqual(200);
});

it('still reads an HTTP date', async () => {
  const date = new Date(Date.now() + 2000).toUTCString();
  expect(await gapAfter('/date', date)).toBeGreaterThanOrEqual(900);
});
