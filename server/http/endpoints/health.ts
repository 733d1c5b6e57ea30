// Liveness (the process answers) and readiness (the database answers too), for
// load balancers and orchestrators.
import { AppError } from '../../core/errors.js';
import { pingDatabase } from '../../db/pool.js';
import { errorSummary } from '../../log.js';
import { json, type Reply, type RouteRequest, type Services } from '../route.js';

export async function liveness(): Promise<Reply> {
  return json({ status: 'ok' });
}

export async function readiness(_request: RouteRequest, { pool, logger }: Services): Promise<Reply> {
  try {
    await pingDatabase(pool);
  } catch (error) {
    logger.warn({ err: errorSummary(error) }, 'health check: the database does not answer');
    const unavailable = new AppError('database_unavailable', undefined, {}, { cause: error });
    return json({ status: 'unavailable', error: { code: unavailable.code, message: unavailable.message } }, unavailable.status);
  }
  return json({ status: 'ok' });
}
