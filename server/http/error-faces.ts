// One renderer per face for every error a route lets out: the REST shape
// { error: { code, message } }, the GraphQL shape { errors: [{ message,
// extensions: { code } }] }, and the popup page that reports a failed flow to
// its opener. Codes, statuses and messages come from the catalogue
// (core/errors.ts); what is unexpected is logged here, once, and masked.
import { AppError, asAppError } from '../core/errors.js';
import { SealedValueRefusedError } from '../db/secret-box.js';
import { errorSummary, type Logger } from '../log.js';
import { PROXY_ERROR_HEADER } from '../core/proxy.js';
import { callbackPage } from './callback-page.js';
import { json, type Face, type Reply } from './route.js';

export interface ErrorContext {
  logger: Logger;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
}

/** A database outage fails every request; one warning a second says so without flooding the log. */
let lastOutageWarning = 0;

/**
 * The catalogue's error for anything thrown, logged where a person must hear of
 * it: the unexpected (masked to the caller) and a database outage. For every
 * face, GraphQL's masking included.
 */
export function knownError(thrown: unknown, logger: Logger, path: string): { error: AppError; unexpected: boolean } {
  const refused = refusedSeal(thrown);
  if (refused) {
    logTampering(logger, refused, path);
    // Logged for what it is, and internal_error on every face (GraphQL's mask would say INTERNAL_SERVER_ERROR).
    return { error: new AppError('internal_error', undefined, {}, { cause: thrown }), unexpected: false };
  }
  const known = asAppError(thrown);
  if (known.unexpected) {
    logger.error({ err: errorSummary(thrown), path }, 'unexpected error');
  } else if (known.error.code === 'database_unavailable' && Date.now() - lastOutageWarning > 1000) {
    lastOutageWarning = Date.now();
    logger.warn({ err: errorSummary(thrown, { stack: false }), path }, 'the database does not answer');
  }
  return known;
}

/**
 * A sealed value that did not open for its row is answered internal_error like
 * any fault, but someone with write access to the database moved or altered it:
 * the log names where (table, column, row identity), never the value.
 */
export function logTampering(logger: Logger, refused: SealedValueRefusedError, path?: string): void {
  const { table, column } = refused.column;
  logger.error({ table, column, row: refused.row, reason: refused.reason, ...(path ? { path } : {}) }, 'tampering: a sealed value did not open for its row; nothing served');
}

/** The refused seal behind an error (a store's own, or the cause of one that wraps it). */
function refusedSeal(thrown: unknown): SealedValueRefusedError | null {
  for (let current = thrown, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof SealedValueRefusedError) return current;
  }
  return null;
}

export function renderError(face: Face, thrown: unknown, context: ErrorContext): Reply {
  const { error } = knownError(thrown, context.logger, context.path);
  switch (face) {
    case 'rest':
      return json({ error: { code: error.code, message: error.message } }, error.status, challenge(error));
    case 'proxy':
      // The service's own answer, told apart from the provider's (which never carries this header: proxy-headers.ts).
      return json({ error: { code: error.code, message: error.message } }, error.status, { ...challenge(error), [PROXY_ERROR_HEADER]: error.code });
    case 'graphql':
      return json({ errors: [{ message: error.message, extensions: { code: error.code } }] }, error.status, challenge(error));
    case 'page':
      return failedFlowPage(error, context);
  }
}

function challenge(error: AppError): Record<string, string> {
  return error.status === 401 ? { 'www-authenticate': 'Bearer realm="nango"' } : {};
}

function failedFlowPage(error: AppError, { logger, params, query }: ErrorContext): Reply {
  const identity = {
    providerConfigKey: error.details.providerConfigKey ?? params.providerConfigKey,
    connectionId: error.details.connectionId ?? query.connection_id,
  };
  logger.warn({ code: error.code, ...identity }, 'oauth flow failed');
  const { html, headers } = callbackPage({ ok: false, identity, error: { type: error.code, message: error.message } });
  return { status: error.status, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers }, body: html };
}
