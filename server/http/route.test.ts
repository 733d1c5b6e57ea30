// The route table's rules: how a path finds its route, and what stops the server at start-up.
import { describe, expect, it } from '@jest/globals';
import { compileRoutes, json, matchRoute, type Route } from './route.js';
import { ROUTES } from './routes.js';

const handle = async () => json({});
const route = (method: Route['method'], pattern: string, extra: Partial<Route> = {}): Route => ({ method, pattern, query: [], callers: ['backend'], face: 'rest', fast: false, handle, ...extra });

describe('matching a path to its route', () => {
  const table = compileRoutes([
    route('GET', '/connection/:connectionId'),
    route('GET', '/connection/count'),
    route('GET', '/connection'),
    route('DELETE', '/connection/:connectionId'),
    route('GET', '/a/:x/c'),
    route('GET', '/a/b/:y'),
    route('GET', '/proxy/*'),
    route('GET', '/proxy/static'),
  ]);
  const found = (method: string, path: string) => {
    const match = matchRoute(table, method, path);
    return match && [`${match.route.method} ${match.route.pattern}`, match.rawParams];
  };

  it('prefers a static segment to a parameter, whatever the order of declaration', () => {
    expect(found('GET', '/connection/count')).toEqual(['GET /connection/count', {}]);
    expect(found('GET', '/connection/u%201')).toEqual(['GET /connection/:connectionId', { connectionId: 'u%201' }]);
    expect(found('GET', '/a/b/c')).toEqual(['GET /a/b/:y', { y: 'c' }]);
  });

  it('matches the method and the whole path, and no empty parameter', () => {
    expect(found('DELETE', '/connection/u1')).toEqual(['DELETE /connection/:connectionId', { connectionId: 'u1' }]);
    expect(found('POST', '/connection/u1')).toBeNull();
    expect(found('GET', '/connection/')).toBeNull();
    expect(found('GET', '/connection/u1/extra')).toBeNull();
    expect(found('GET', '/connections')).toBeNull();
  });
});

describe('a pattern ending in *', () => {
  const table = compileRoutes([route('GET', '/proxy/*'), route('GET', '/proxy/static')]);
  const found = (path: string) => {
    const match = matchRoute(table, 'GET', path);
    return match && [match.route.pattern, match.rawParams];
  };

  it('takes the rest of the path as sent, one segment or more, empty ones included', () => {
    expect(found('/proxy/user')).toEqual(['/proxy/*', { '*': 'user' }]);
    expect(found('/proxy/a/%2F/..//b')).toEqual(['/proxy/*', { '*': 'a/%2F/..//b' }]);
    expect(found('/proxy/')).toEqual(['/proxy/*', { '*': '' }]);
    expect(found('/proxy')).toBeNull();
  });

  it('loses to a static route of the same length, and is refused anywhere but last', () => {
    expect(found('/proxy/static')).toEqual(['/proxy/static', {}]);
    expect(() => compileRoutes([route('GET', '/a/*/b')])).toThrow('* stands only for the rest of the path');
  });
});

describe('the route table', () => {
  it('stops the server when a route declares no caller', () => {
    expect(() => compileRoutes([route('GET', '/open', { callers: [] })])).toThrow('GET /open declares no caller');
  });

  it('stops the server when a route is declared twice, or admits the frontend without reading its key', () => {
    expect(() => compileRoutes([route('GET', '/x'), route('GET', '/x')])).toThrow('declared twice');
    expect(() => compileRoutes([route('GET', '/page', { callers: ['frontend'] })])).toThrow('public_key');
    expect(() => compileRoutes([route('GET', '/page', { callers: ['connect-session'] })])).toThrow('connect_session_token');
  });

  it("holds the server's routes, each with its callers, and only the hot reads and the proxy on the fast path", () => {
    const table = compileRoutes(ROUTES);
    expect(table.filter((entry) => entry.fast).map((entry) => `${entry.method} ${entry.pattern}`).sort()).toEqual([
      'DELETE /proxy/*',
      'GET /connection',
      'GET /connection/:connectionId',
      'GET /proxy/*',
      'HEAD /proxy/*',
      'PATCH /proxy/*',
      'POST /graphql',
      'POST /proxy/*',
      'PUT /proxy/*',
    ]);
    // Only the proxy streams its body; every other route's body is bounded by the edge.
    expect(table.filter((entry) => entry.body === 'stream').every((entry) => entry.pattern === '/proxy/*' && entry.callers.join() === 'backend')).toBe(true);
    // Only what a browser or a provider reaches without a key is open to anyone.
    // The dashboard's page, files and sign-in are open: its data comes through /graphql, which is not.
    expect(table.filter((entry) => entry.callers.includes('anyone')).map((entry) => `${entry.method} ${entry.pattern}`).sort()).toEqual([
      'DELETE /dashboard/session',
      'GET /',
      'GET /dashboard',
      'GET /dashboard/:view',
      'GET /dashboard/:view/:first',
      'GET /dashboard/:view/:first/:second',
      'GET /dashboard/assets/:file',
      'GET /dashboard/session',
      'GET /graphql',
      'GET /graphql/assets/:file',
      'GET /health',
      'GET /health/live',
      'GET /oauth/callback',
      'GET /sdk/frontend.js',
      'POST /dashboard/session',
    ]);
    // A flow is opened by a connect session first, then (as the policy allows) by a page; nothing else admits
    // either. The Connect UI found from a session token alone takes the session only.
    expect(table.filter((entry) => entry.callers.some((caller) => caller === 'frontend' || caller === 'connect-session')).map((entry) => [`${entry.method} ${entry.pattern}`, entry.callers])).toEqual([
      ['GET /oauth/connect/:providerConfigKey', ['connect-session', 'frontend']],
      ['POST /oauth/connect/:providerConfigKey', ['connect-session', 'frontend']],
      ['GET /connect', ['connect-session']],
    ]);
  });
});
