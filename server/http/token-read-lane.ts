// GET /connection/:id, the read in front of every API call our users make,
// served from Node's request listener itself. The router wraps each request
// and response in web Request/Response objects and runs its middleware chain;
// for this one route that work cost more than the read (see bench/ and the
// README's performance section). The checks, the JSON, the error shape, the
// log line and the metrics are the same functions the router uses. Anything
// out of the ordinary (another method, a body, a path with more segments or
// bad escapes) is left to the router, which answers it as before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/core.js';
import type { Logger } from '../log.js';
import { checkSecretKey } from './api-keys.js';
import type { Metrics } from './metrics.js';
import { logRequest } from './request-log.js';
import { restError } from './rest-error.js';
import { readConnection } from './rest-routes.js';

const PREFIX = '/connection/';
/** The route's pattern, as the router's metrics name it. */
const ROUTE = '/connection/:connectionId';

export interface TokenReadLaneOptions {
  core: Core;
  logger: Logger;
  metrics: Metrics;
  secretKey?: string;
}

/** Returns true when it has taken the request; false leaves it to the router. */
export type Lane = (req: IncomingMessage, res: ServerResponse) => boolean;

export function tokenReadLane({ core, logger, metrics, secretKey }: TokenReadLaneOptions): Lane {
  async function answer(req: IncomingMessage, res: ServerResponse, path: string, connectionId: string, search: string): Promise<void> {
    const started = performance.now();
    let status = 200;
    let body: string;
    try {
      if (secretKey) checkSecretKey(req.headers.authorization, secretKey);
      body = JSON.stringify(await readConnection(core, connectionId, knownParams(search)));
    } catch (error) {
      const failure = restError(error, logger, path);
      status = failure.status;
      body = JSON.stringify(failure.body);
    }
    // Status and header set, not written: end() then adds the Content-Length (writeHead would mean chunks).
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(body);
    metrics.recordRequest('GET', ROUTE, status, started);
    logRequest(logger, 'GET', path, status, started);
  }

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(PREFIX)) return false;
    // A body on a GET is odd enough for the router, which knows how to leave it unread.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const segment = path.slice(PREFIX.length);
    if (segment === '' || segment.includes('/')) return false;
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(segment);
    } catch {
      return false;
    }
    answer(req, res, path, connectionId, queryAt === -1 ? '' : url.slice(queryAt + 1)).catch((error: unknown) => {
      // Only a failure to write the answer lands here: the socket is gone.
      logger.warn({ path, err: error instanceof Error ? error.name : 'unknown' }, 'token read: the answer could not be written');
      res.destroy();
    });
    return true;
  };
}

/**
 * The route's two query parameters, the first value of each, as the router reads
 * them; its validation ignores any other, so they are not collected.
 */
function knownParams(search: string): Record<string, string> {
  const params = new URLSearchParams(search);
  const values: Record<string, string> = {};
  for (const name of ['provider_config_key', 'force_refresh']) {
    const value = params.get(name);
    if (value !== null) values[name] = value;
  }
  return values;
}
