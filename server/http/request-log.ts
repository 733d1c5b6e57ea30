// One info line per request. Only the path is logged, never the query string
// (an OAuth callback carries the authorization code there) nor any header.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.js';

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logRequest(logger, c.req.method, c.req.path, c.res.status, started);
  };
}

/** The line itself; `started` is a performance.now() reading. */
export function logRequest(logger: Logger, method: string, path: string, status: number, started: number): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info({ method, path, status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request');
}
