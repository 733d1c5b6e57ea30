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
  // Slonik and pg wrap the driver's error: the cause says what happened.
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
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
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (REFUSED_BYTES_STATES.has(code)) return 'refused_bytes';
      if (UNAVAILABLE_STATES.test(code) || NETWORK_CODES.has(code)) return 'unavailable';
    }
    if (UNAVAILABLE_MESSAGES.test(current.message)) return 'unavailable';
  }
  return null;
}
