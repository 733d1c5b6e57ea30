// What a route is, and how a request finds its route. The routes themselves
// are declared in routes.ts; both dispatchers (fast-path.ts, router.ts) find
// them with matchRoute() and serve them with edge.ts.
import type { Readable } from 'node:stream';
import type { CallerGone } from '../core/proxy.js';
import type { z } from 'zod';
import type { Core } from '../core/core.js';
import { invalidInput } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { DatabasePool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { Dashboard } from './dashboard.js';
import type { GraphQLService } from './graphql.js';
import type { Metrics } from './metrics.js';
import type { Caller, ServerKeys } from './principals.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** How a route's errors are rendered (error-faces.ts). */
export type Face = 'rest' | 'graphql' | 'page' | 'proxy';

/** A request as a handler sees it, whichever dispatcher serves it. */
export interface RouteRequest {
  method: string;
  /** The path as sent (still percent-encoded), without the query. */
  path: string;
  /** The query string as sent, without '?' ('' when none). */
  search: string;
  /** The pattern's parameters, decoded. */
  params: Record<string, string>;
  /** The route's declared query parameters that were sent, the first value of each, decoded; no other. */
  query: Record<string, string>;
  principal: Principal;
  /** A request header (lower-case name). */
  header(name: string): string | undefined;
  /** All request headers, as Node's parser gives them. */
  headers(): Record<string, string | string[] | undefined>;
  /** The body as text (UTF-8, refused when it is not). */
  text(): Promise<string>;
  /** The body as it arrives, unread and unlimited (only for routes declaring `body: 'stream'`, which bound it themselves). */
  stream(): Readable;
  /** Aborted when the client goes away before its answer is written. */
  signal(): CallerGone;
  /** The request as a web Request, for handlers that hand it to a fetch-style library (Yoga). */
  toWebRequest(): Promise<Request>;
  /** The peer's address on the socket (see clientAddress() in edge.ts for the client's). */
  remoteAddress(): string | undefined;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body: string | Uint8Array<ArrayBuffer> | null }
  /** An answer whose body is passed on as it comes, at the pace the client reads it (the proxy's). */
  | { status: number; headers: Array<[string, string]>; stream: Readable | Uint8Array | null; /** Ends the stream and what feeds it, without an unheard error. */ abort(): void }
  /** A web Response as a library made it (Yoga's): passed on as it is. */
  | { response: Response };

/** What handlers work with, built once at start-up. */
export interface Services {
  core: Core;
  pool: DatabasePool;
  logger: Logger;
  metrics: Metrics;
  graphql: GraphQLService;
  keys: ServerKeys;
  /** The browser SDK, compiled at start-up. */
  frontendSdk: string;
  /** The dashboard's page and files, bundled on the first visit. */
  dashboard: Dashboard;
  /** How many proxies in front append to X-Forwarded-For (settings.ts). */
  trustProxyHops: number;
  /** The OAuth flow's cookie: sent back only to the callback's path, Secure when the server's URL is https. */
  flowCookie: { path: string; secure: boolean };
}

export interface Route {
  method: Method;
  /** Segments separated by '/'; `:name` is a parameter, matched against one whole segment; a last `*` matches the rest (one segment or more). */
  pattern: string;
  /** The query parameters the route reads; `name[*]` stands for every `name[...]`, a lone `*` for all. Others are not passed on. */
  query: readonly string[];
  /** Who may call it, tried in this order (principals.ts). */
  callers: readonly Caller[];
  face: Face;
  /** Served from Node's listener, without a web Request and Response, when the request allows (fast-path.ts). */
  fast: boolean;
  /**
   * 'stream': the handler reads the body as it arrives (RouteRequest.stream) and bounds it itself; otherwise
   * the edge refuses a body over MAX_BODY_BYTES and the handler reads it whole.
   */
  body?: 'stream';
  handle(request: RouteRequest, services: Services): Promise<Reply>;
}

/** A route with its pattern split once, for matching. */
export interface CompiledRoute extends Route {
  segments: ReadonlyArray<{ name: string; parameter: boolean }>;
  /** The pattern ends in `*`. */
  rest: boolean;
}

export class RouteTableError extends Error {
  override name = 'RouteTableError';
}

/**
 * Checks the table once, at start-up: a route without a declared caller, a
 * pattern declared twice, or a frontend route that does not read the public
 * key stops the server before it listens.
 */
export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  const seen = new Set<string>();
  return routes.map((route) => {
    const name = `${route.method} ${route.pattern}`;
    if (route.callers.length === 0) throw new RouteTableError(`${name} declares no caller: say who may call it (anyone, backend, frontend)`);
    if (seen.has(name)) throw new RouteTableError(`${name} is declared twice`);
    seen.add(name);
    if (route.callers.includes('frontend') && !route.query.includes('public_key')) {
      throw new RouteTableError(`${name} admits the frontend, which proves itself by ?public_key=: declare that query parameter`);
    }
    if (route.callers.includes('connect-session') && !route.query.includes('connect_session_token')) {
      throw new RouteTableError(`${name} admits connect sessions, which prove themselves by ?connect_session_token=: declare that query parameter`);
    }
    if (!route.pattern.startsWith('/')) throw new RouteTableError(`${name}: a pattern starts with /`);
    if (route.pattern.slice(0, -1).includes('*')) throw new RouteTableError(`${name}: * stands only for the rest of the path, as the last segment`);
    const segments = route.pattern.slice(1).split('/').map((segment) => ({ name: segment.replace(/^:/, ''), parameter: segment.startsWith(':') }));
    return { ...route, segments, rest: segments[segments.length - 1]!.name === '*' };
  });
}

export interface Match {
  route: CompiledRoute;
  /** The parameters as sent, still percent-encoded. */
  rawParams: Record<string, string>;
}

/**
 * The route for a method and a path (as sent): a static segment wins over a
 * parameter at the same place, so `/connection/count` beside
 * `/connection/:connectionId` is its own route.
 */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): Match | null {
  const parts = path.slice(1).split('/');
  let best: Match | null = null;
  let bestScore = -1;
  for (const route of routes) {
    if (route.method !== method) continue;
    const { rest } = route;
    if (rest ? parts.length < route.segments.length : route.segments.length !== parts.length) continue;
    let score = 0;
    let rawParams: Record<string, string> | null = {};
    for (let index = 0; index < route.segments.length; index++) {
      const segment = route.segments[index]!;
      const part = parts[index]!;
      if (rest && index === route.segments.length - 1) {
        // The rest of the path, as sent; it is the handler's to judge (a proxied path is not one parameter).
        rawParams['*'] = parts.slice(index).join('/');
      } else if (segment.parameter) {
        if (part === '') {
          rawParams = null;
          break;
        }
        rawParams[segment.name] = part;
      } else if (segment.name === part) {
        // Earlier static segments weigh more: /a/:x/c loses to /a/b/:y.
        score += 2 ** (parts.length - index);
      } else {
        rawParams = null;
        break;
      }
    }
    if (rawParams && score > bestScore) {
      best = { route, rawParams };
      bestScore = score;
    }
  }
  return best;
}

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** A JSON answer. */
export function json(value: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS, body: JSON.stringify(value) };
}

/** A JSON request body against its schema: invalid_input naming the first field at fault (or the unknown one). */
export function parseJsonBody<T extends z.ZodTypeAny>(text: string, schema: T): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidInput('body', 'must be a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  throw invalidInput(field, issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}` : issue.message);
}
