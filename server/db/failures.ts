// What a driver error says about the database, for the error catalogue: that
// it does not answer (refused, dropped, timed out: the caller may retry), or
// that it refused the bytes of a value (the caller's input), or nothing we
// know (a bug: masked and logged).
import { BackendTerminatedError, BackendTerminatedUnexpectedlyError, ConnectionError, StatementTimeoutError } from 'slonik';

export type DatabaseFailure = 'unavailable' | 'refused_bytes';

/** A query or connection that did not get an answer in time (see DATABASE_TIMEOUT_MS). */
export class DatabaseTimeoutError extends Error {
  override name = 'DatabaseTimeoutError';
}

/**
 * How long a request waits for the database: for a connection from the pool, a
 * new connection, or a statement's answer. A frozen or unreachable database
 * then costs a request this long, not as long as it lasts.
 */
export const DATABASE_TIMEOUT_MS = 5_000;

// SQLSTATE class 08 (connection exception), the session ended by the server
// (admin/crash shutdown, cannot connect now), too many connections, and a
// statement cancelled by its timeout.
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300|57014)$/;
// Invalid byte sequence for the encoding, and a character (NUL) text cannot hold.
const REFUSED_BYTES_STATES = new Set(['22021', '22P05']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
// What pg says, without a code, when a connection goes or never comes.
const UNAVAILABLE_MESSAGES = /connection terminated|query read timeout|timeout exceeded when trying to connect|not queryable|connection (is )?closed/i;

export function databaseFailure(error: unknown): DatabaseFailure | null {
  // Slonik and pg wrap the driver's error: the cause says what happened. Node's own errors
  // (a refused socket) may come from another realm than this module's Error (a VM context),
  // so they are recognised by their shape.
  for (let current = error as { cause?: unknown; message?: unknown; code?: unknown; name?: unknown } | null, depth = 0;
    typeof current === 'object' && current !== null && depth < 4;
    current = current.cause as typeof current, depth++) {
    if (
      current instanceof DatabaseTimeoutError ||
      current instanceof ConnectionError ||
      current instanceof BackendTerminatedError ||
      current instanceof BackendTerminatedUnexpectedlyError ||
      current instanceof StatementTimeoutError ||
      current.name === 'ReadConnectionsClosedError'
    ) {
      return 'unavailable';
    }
    const code = current.code;
    if (typeof code === 'string') {
      if (REFUSED_BYTES_STATES.has(code)) return 'refused_bytes';
      if (UNAVAILABLE_STATES.test(code) || NETWORK_CODES.has(code)) return 'unavailable';
    }
    if (typeof current.message === 'string' && UNAVAILABLE_MESSAGES.test(current.message)) return 'unavailable';
  }
  return null;
}
