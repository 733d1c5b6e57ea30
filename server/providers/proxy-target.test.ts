import { describe, expect, it } from '@jest/globals';
import { ProxyPathRefused, proxyTarget } from './proxy-target.js';

const BASE = 'https://api.example.com/v2';

describe('a proxied path', () => {
  it('goes under the base URL, its query kept', () => {
    expect(proxyTarget(BASE, '/repos/a/b', '?per_page=5').href).toBe('https://api.example.com/v2/repos/a/b?per_page=5');
    expect(proxyTarget('https://api.example.com', '/user').href).toBe('https://api.example.com/user');
    expect(proxyTarget('https://api.example.com/', '/').href).toBe('https://api.example.com/');
    expect(proxyTarget(BASE, '/files/a%20b.txt').pathname).toBe('/v2/files/a%20b.txt');
    expect(proxyTarget(BASE, '/users/me@example.com').href).toBe('https://api.example.com/v2/users/me@example.com');
    expect(proxyTarget('https://acme.zendesk.com/api/v2/', '/tickets.json').href).toBe('https://acme.zendesk.com/api/v2/tickets.json');
  });

  // Each of these reaches another host, or climbs above /v2, in some parser or server along the way.
  it.each([
    ['//evil.example/x'],
    ['/%2F%2Fevil.example'],
    ['/%2f/evil.example'],
    ['/..'],
    ['/../admin'],
    ['/a/../../admin'],
    ['/%2e%2e/admin'],
    ['/%2E./admin'],
    ['/.%2e/admin'],
    ['/./x'],
    ['/..%2fadmin'],
    ['/..%5cadmin'],
    ['/\\evil.example'],
    ['/a\\..\\..\\admin'],
    ['/a//b'],
    ['/x y'],
    ['/x\u0000'],
    ['/x\r\nHost: evil.example'],
    ['/%zz'],
    ['/x#fragment'],
    ['evil.example'],
    ['https://evil.example/'],
  ])('refuses %j', (path) => {
    expect(() => proxyTarget(BASE, path)).toThrow(ProxyPathRefused);
  });

  it('keeps @ and : in a path segment on the configured host', () => {
    for (const path of ['/@evil.example', '/@evil.example/x', '/user:pass@evil.example', '/:443']) {
      const target = proxyTarget(BASE, path);
      expect(target.host).toBe('api.example.com');
      expect(target.pathname.startsWith('/v2/')).toBe(true);
    }
  });

  it('refuses a query that could carry a fragment or a line break', () => {
    expect(() => proxyTarget(BASE, '/x', 'a=1')).toThrow('the query is not valid');
    expect(() => proxyTarget(BASE, '/x', '?a=1#frag')).toThrow('the query is not valid');
    expect(() => proxyTarget(BASE, '/x', '?a=1\r\nX: y')).toThrow('the query is not valid');
  });
});
