import { describe, expect, it } from '@jest/globals';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers.js';

describe('headers through the proxy', () => {
  it("never forward the caller's credentials, cookies, proxy controls or hop-by-hop headers", () => {
    const forwarded = forwardedRequestHeaders([
      ['Authorization', 'Bearer sk_the_services_secret_key'],
      ['Cookie', 'nango_dashboard=v1.x'],
      ['Provider-Config-Key', 'github'],
      ['Connection-Id', 'u1'],
      ['Base-Url-Override', 'https://evil.example'],
      ['Retries', '3'],
      ['Connection', 'keep-alive, X-Secret-Hop'],
      ['X-Secret-Hop', 'only for this hop'],
      ['Transfer-Encoding', 'chunked'],
      ['Expect', '100-continue'],
      ['Host', 'localhost:3003'],
      ['X-Forwarded-For', '10.0.0.1'],
      ['Accept', 'application/vnd.github+json'],
      ['Content-Type', 'application/json'],
      ['X-GitHub-Api-Version', '2022-11-28'],
    ]);
    expect(forwarded).toEqual([
      ['accept', 'application/vnd.github+json'],
      ['content-type', 'application/json'],
      ['x-github-api-version', '2022-11-28'],
    ]);
  });

  it("take Nango's Nango-Proxy-<name> headers off their prefix, over the same name sent bare, and refuse the same ones", () => {
    const forwarded = forwardedRequestHeaders([
      ['Accept', 'text/plain'],
      ['Nango-Proxy-Accept', 'application/json'],
      ['Nango-Proxy-Xero-Tenant-Id', 'tenant-1'],
      ['Nango-Proxy-Authorization', 'Bearer smuggled'],
      ['nango-proxy-cookie', 'a=b'],
      ['Nango-Proxy-Connection', 'close'],
      ['X-Kept', 'yes'],
    ]);
    expect(forwarded).toEqual([
      ['x-kept', 'yes'],
      ['accept', 'application/json'],
      ['xero-tenant-id', 'tenant-1'],
    ]);
  });

  it("never return the provider's cookies or authentication headers", () => {
    const returned = returnedResponseHeaders([
      ['Set-Cookie', 'session=provider-session'],
      ['WWW-Authenticate', 'Bearer error="invalid_token"'],
      ['Connection', 'close'],
      ['Keep-Alive', 'timeout=5'],
      ['Content-Type', 'application/json'],
      ['X-RateLimit-Remaining', '4999'],
      ['Retry-After', '30'],
    ]);
    expect(returned).toEqual([
      ['content-type', 'application/json'],
      ['x-ratelimit-remaining', '4999'],
      ['retry-after', '30'],
    ]);
  });
});
