// The attack (a provider's, or a debugging proxy in front of it): the API
// echoes the key it received somewhere in its answer's headers, and the proxy
// hands those headers to a backend that must never hold a provider credential.
// The proxy dropped a header whose value holds the key as given or as
// encodeURIComponent writes it; it missed the key in a header's name (undici
// gives names lower-cased), in a Location written with form encoding (`~` as
// %7E, `!` as %21: URLSearchParams, PHP's http_build_query) or with lower-case
// percent escapes.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startProxyHarness, type ProxyHarness } from '../support/proxy-harness.js';

// Characters that the encodings disagree on, all of them legal in a header name.
const API_KEY = 'Key~Echo!0123456789*abcdef';

let harness: ProxyHarness;

beforeAll(async () => {
  harness = await startProxyHarness({ apiKey: API_KEY });
});

afterAll(async () => {
  await harness?.close();
});

function headerText(response: Response): string {
  return [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
}

it('returns no header that carries the key, in its name or in any encoding of it', async () => {
  const formEncoded = new URLSearchParams({ api_key: API_KEY }).toString();
  harness.api.handlers.set('/v1/echo', (_request, res) => {
    res.statusCode = 302;
    res.setHeader(`x-debug-${API_KEY}`, '1');
    res.setHeader('location', `https://api.example.com/next?${formEncoded}`);
    res.setHeader('content-location', `/v1/echo?${formEncoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())}`);
    res.setHeader('link', `</v1/echo?k=${API_KEY.toUpperCase()}>; rel="self"`);
    res.setHeader('x-request-id', 'kept');
    res.end();
  });
  const response = await harness.proxy('/echo', { redirect: 'manual' });
  expect(response.status).toBe(302);
  expect(response.headers.get('x-request-id')).toBe('kept');
  const text = headerText(response).toLowerCase();
  expect(text).not.toContain(API_KEY.toLowerCase());
  expect(text).not.toContain(formEncoded.slice('api_key='.length).toLowerCase());
  expect(text).not.toContain(encodeURIComponent(API_KEY).toLowerCase());
});
