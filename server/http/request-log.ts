// One info line per request. Only the path is logged, never the query string
// (an OAuth callback carries the authorization code there) nor any header.
import type { Logger } from '../log.js';

/** The line itself; `started` is a performance.now() reading. */
export function logRequest(logger: Logger, method: string, path: string, status: number, started: number): void {
  if (!logger.isLevelEnabled('info')) return;
  logger.info({ method, path, status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request');
}
