// One info line per request. Only the path is logged, never the query string
// (an OAuth callback carries the authorization code there) nor any header.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.js';

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  };
}
