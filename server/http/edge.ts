// What runs around every request, whichever dispatcher took it: the body
// limit, the bytes of the path and query, the route's declared query
// parameters, authentication, the handler, error rendering, and afterwards the
// metrics and the log line. Written once, called by fast-path.ts and router.ts.
import type { Readable } from 'node:stream';
import type { CallerGone } from '../core/proxy.js';
import { parse } from 'hono/utils/cookie';
import { AppError } from '../core/errors.js';
import { CSRF_HEADER, DASHBOARD_COOKIE } from './dashboard-session.js';
import { renderError } from './error-faces.js';
import type { Principal } from '../core/principal.js';
import { authenticate } from './principals.js';
import { logRequest } from './request-log.js';
import type { Match, Reply, RouteRequest, Services } from './route.js';

/** Generous for any GraphQL operation or provider config; small enough that no body is a burden. */
export const MAX_BODY_BYTES = 100 * 1024;

/** A request as a dispatcher received it. */
export interface Incoming {
  method: string;
  /** As sent, percent-encoded, without the query. */
  path: string;
  /** The query string as sent, without '?' ('' when none). */
  search: string;
  header(name: string): string | undefined;
  headers(): Record<string, string | string[] | undefined>;
  text(): Promise<string>;
  /** The body as it arrives (for routes that stream it). */
  stream(): Readable;
  /** Aborted when the client goes away before its answer is written. */
  signal(): CallerGone;
  toWebRequest(): Promise<Request>;
  /** The peer's address on the socket; undefined without one (in-process requests). */
  remoteAddress(): string | undefined;
}

/**
 * How long a bounded body may take to arrive whole, from the moment its handler reads it: Node's
 * own requestTimeout would also cut the proxy's uploads, which stream for as long as they keep
 * coming (bind-port.ts), so the clock for every other body is kept here.
 */
export const BODY_DEADLINE_MS = 70_000;

/** A body whose client stopped sending half way: the caller's doing, not a fault of ours. */
export function bodyCutOff(): AppError {
  return new AppError('invalid_input', 'The request body was cut off.', { field: 'body' });
}

export function payloadTooLarge(): AppError {
  return new AppError('payload_too_large', `The request body is over the limit of ${MAX_BODY_BYTES / 1024} KiB.`);
}

const BAD_BYTES = 'holds a NUL character or bytes that are not UTF-8';

/** Decoded, or invalid_input when the percent-encoding hides a NUL or bytes that are not UTF-8. */
function decodeComponent(value: string, field: string): string {
  if (value.indexOf('%') === -1) return value;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new AppError('invalid_input', `${field} ${BAD_BYTES}.`, { field });
  }
  if (decoded.includes('\u0000')) throw new AppError('invalid_input', `${field} ${BAD_BYTES}.`, { field });
  return decoded;
}

/** The path and the query, refused as a whole when either holds bad bytes. */
export function checkBytes(path: string, search: string): void {
  decodeComponent(path, 'The path');
  if (search.indexOf('%') !== -1) decodeComponent(search.replaceAll('+', ' '), 'The query');
}

/** The declared parameters that were sent (the first value of each); URLSearchParams decodes them. */
function acceptedQuery(names: readonly string[], search: string): Record<string, string> {
  const query: Record<string, string> = {};
  if (search === '' || names.length === 0) return query;
  const params = new URLSearchParams(search);
  if (names[0] === '*') {
    for (const [key, value] of params) if (!(key in query)) query[key] = value;
    return query;
  }
  for (const name of names) {
    if (name.endsWith('[*]')) {
      const family = name.slice(0, -2);
      for (const [key, value] of params) if (key.startsWith(family) && key.endsWith(']') && !(key in query)) query[key] = value;
      continue;
    }
    const value = params.get(name);
    if (value !== null) query[name] = value;
  }
  return query;
}

/** Text from bytes that must be UTF-8; invalid_input when they are not. */
export function utf8Body(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // toString() replaces what is not UTF-8 with U+FFFD; only then is the strict decoder needed to tell.
  if (text.includes('\uFFFD')) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new AppError('invalid_input', `The request body ${BAD_BYTES}.`, { field: 'body' });
    }
  }
  return text;
}

/** A request as handlers see it: the dispatcher's, with what the edge found out. One object, no closures, per request. */
class EdgeRequest implements RouteRequest {
  constructor(
    private readonly incoming: Incoming,
    readonly params: Record<string, string>,
    readonly query: Record<string, string>,
    readonly principal: Principal,
  ) {}

  get method(): string {
    return this.incoming.method;
  }

  get path(): string {
    return this.incoming.path;
  }

  get search(): string {
    return this.incoming.search;
  }

  header(name: string): string | undefined {
    return this.incoming.header(name);
  }

  headers(): Record<string, string | string[] | undefined> {
    return this.incoming.headers();
  }

  text(): Promise<string> {
    return this.incoming.text();
  }

  stream(): Readable {
    return this.incoming.stream();
  }

  signal(): CallerGone {
    return this.incoming.signal();
  }

  toWebRequest(): Promise<Request> {
    return this.incoming.toWebRequest();
  }

  remoteAddress(): string | undefined {
    return this.incoming.remoteAddress();
  }
}

/**
 * The client's address: the socket's peer, or, behind `hops` proxies that each
 * append to X-Forwarded-For, the entry the outermost trusted proxy wrote
 * (entries further left are the client's own say, and can be anything).
 */
export function clientAddress(incoming: Pick<Incoming, 'header' | 'remoteAddress'>, hops: number): string | null {
  const peer = incoming.remoteAddress() ?? null;
  if (hops === 0) return peer;
  const forwarded = (incoming.header('x-forwarded-for') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  return forwarded[forwarded.length - hops] ?? forwarded[0] ?? peer;
}

/**
 * Serves a matched route; never rejects (errors become the route face's answer).
 * Not an async function: the handler's own promise is the one returned, one
 * promise fewer on the reads backends repeat.
 */
export function serve({ route, rawParams }: Match, incoming: Incoming, services: Services): Promise<Reply> {
  const params: Record<string, string> = {};
  let query: Record<string, string> = {};
  // Anonymous arrows, not a named closure: tsx and esbuild's keepNames would name one on every request.
  try {
    const length = incoming.header('content-length');
    if (length !== undefined && Number(length) > MAX_BODY_BYTES && route.body !== 'stream') throw payloadTooLarge();
    checkBytes(incoming.path, incoming.search);
    for (const name in rawParams) params[name] = decodeComponent(rawParams[name]!, `The path's ${name}`);
    query = acceptedQuery(route.query, incoming.search);
    const principal = authenticate(
      route.callers,
      {
        authorization: incoming.header('authorization'),
        publicKey: query.public_key,
        connectSessionToken: query.connect_session_token,
        dashboard: () => ({ cookie: cookieValue(incoming.header('cookie'), DASHBOARD_COOKIE), csrfToken: incoming.header(CSRF_HEADER) }),
      },
      services.keys,
    );
    const handled =
      principal instanceof Promise
        ? principal.then((proven) => route.handle(new EdgeRequest(incoming, params, query, proven), services))
        : route.handle(new EdgeRequest(incoming, params, query, principal), services);
    return handled.catch((error: unknown) => renderError(route.face, error, { logger: services.logger, path: incoming.path, params, query }));
  } catch (error) {
    return Promise.resolve(renderError(route.face, error, { logger: services.logger, path: incoming.path, params, query }));
  }
}

/** One cookie of a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  return header ? parse(header, name)[name] : undefined;
}

/** After the answer is written: the request's metric (under its route's pattern) and its log line. */
export function recordRequest(services: Services, method: string, pattern: string, path: string, status: number, started: number): void {
  services.metrics.recordRequest(method, pattern, status, started);
  logRequest(services.logger, method, path, status, started);
}

/** The answer to a path no route has. */
export function unmatched(method: string, path: string, search: string, services: Services): Reply {
  try {
    checkBytes(path, search);
    throw new AppError('not_found', `No route for ${method} ${path}.`);
  } catch (error) {
    return renderError('rest', error, { logger: services.logger, path, params: {}, query: {} });
  }
}
