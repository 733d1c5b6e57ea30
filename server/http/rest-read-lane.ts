// The two REST reads backends repeat, served from Node's request listener
// itself: GET /connection/:id (the read in front of every API call our users
// make) and GET /connection (a page of the list). The router wraps each request
// and response in web Request/Response objects and runs its middleware chain;
// for these routes that work cost more than the read (see bench/ and the
// README's performance section). The checks, the JSON, the error shape, the log
// line and the metrics are the same functions the router uses. Anything out of
// the ordinary (another method, a body, a path with more segments or bad
// escapes) is left to the router, which answers it as before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/core.js';
import type { Logger } from '../log.js';
import { checkSecretKey } from './api-keys.js';
import type { Metrics } from './metrics.js';
import { logRequest } from './request-log.js';
import { restError } from './rest-error.js';
import { listConnections, readConnection } from './rest-routes.js';

const LIST = '/connection';
const PREFIX = '/connection/';
/** The routes' patterns, as the router's metrics name them. */
const READ_ROUTE = '/connection/:connectionId';
/** The query parameters each route reads (the first value of each); their validation ignores any other. */
const READ_PARAMS = ['provider_config_key', 'force_refresh'];
const LIST_PARAMS = ['provider_config_key', 'first', 'after'];

export interface RestReadLaneOptions {
  core: Core;
  logger: Logger;
  metrics: Metrics;
  secretKey?: string;
}

/** Returns true when it has taken the request; false leaves it to the router. */
export type Lane = (req: IncomingMessage, res: ServerResponse) => boolean;

export function restReadLane({ core, logger, metrics, secretKey }: RestReadLaneOptions): Lane {
  async function answer(req: IncomingMessage, res: ServerResponse, path: string, route: string, read: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    let status = 200;
    let body: string;
    try {
      if (secretKey) checkSecretKey(req.headers.authorization, secretKey);
      body = JSON.stringify(await read());
    } catch (error) {
      const failure = restError(error, logger, path);
      status = failure.status;
      body = JSON.stringify(failure.body);
    }
    // Status and header set, not written: end() then adds the Content-Length (writeHead would mean chunks).
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(body);
    metrics.recordRequest('GET', route, status, started);
    logRequest(logger, 'GET', path, status, started);
  }

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(LIST)) return false;
    // A body on a GET is odd enough for the router, which knows how to leave it unread.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);
    let route: string;
    let read: () => Promise<unknown>;
    if (path === LIST) {
      route = LIST;
      read = () => listConnections(core, knownParams(search, LIST_PARAMS));
    } else {
      const segment = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : '';
      if (segment === '' || segment.includes('/')) return false;
      let connectionId: string;
      try {
        connectionId = decodeURIComponent(segment);
      } catch {
        return false;
      }
      route = READ_ROUTE;
      read = () => readConnection(core, connectionId, knownParams(search, READ_PARAMS));
    }
    answer(req, res, path, route, read).catch((error: unknown) => {
      // Only a failure to write the answer lands here: the socket is gone.
      logger.warn({ path, err: error instanceof Error ? error.name : 'unknown' }, 'REST read: the answer could not be written');
      res.destroy();
    });
    return true;
  };
}

/** The named query parameters, the first value of each, as the router reads them. */
function knownParams(search: string, names: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  if (search === '') return values;
  const params = new URLSearchParams(search);
  for (const name of names) {
    const value = params.get(name);
    if (value !== null) values[name] = value;
  }
  return values;
}
