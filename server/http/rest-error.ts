// The REST face's one error shape, { error: { code, message } }, for the router
// and the token-read lane alike.
import { AppError } from '../core/errors.js';
import { errorSummary, type Logger } from '../log.js';

export interface RestErrorJson {
  error: { code: string; message: string };
}

/** An error as the REST routes answer it: an AppError's code, anything else masked (and logged). */
export function restError(error: unknown, logger: Logger, path: string): { status: number; body: RestErrorJson } {
  if (error instanceof AppError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  logger.error({ err: errorSummary(error), path }, 'unexpected error');
  return { status: 500, body: { error: { code: 'internal_error', message: 'An unexpected error occurred.' } } };
}
