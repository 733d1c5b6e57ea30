// The structured logger. Redaction lives here so that no caller has to remember it.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './settings.js';

export type { Logger };

// Not `code`: that is an error's code (invalid_grant, token_error), which a person reading the log
// needs. An OAuth authorization code is never logged (the request line leaves out the query string).
const REDACTED_KEYS = [
  'authorization',
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'password',
  'authorizationCode',
  'codeVerifier',
  'code_verifier',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: undefined,
      redact: { paths, censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * Where the server's log goes: JSON lines, one per event, for machines (a file,
 * a container's log); readable lines when a person watches it in a terminal.
 */
export async function consoleDestination(): Promise<ConsoleDestination> {
  if (!process.stdout.isTTY) return pino.destination({ dest: 1, sync: false });
  const { default: pretty } = await import('pino-pretty');
  return pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

export type ConsoleDestination = DestinationStream & NodeJS.EventEmitter & { end(): void };

/**
 * Writes what the destination still holds, in order, before the process
 * exits: an asynchronous write may be under way, and the exit's own flush
 * would write the lines after it first.
 */
export function closeDestination(destination: ConsoleDestination): Promise<void> {
  return new Promise((resolve) => {
    const done = setTimeout(resolve, 2_000);
    destination.once('close', () => {
      clearTimeout(done);
      resolve();
    });
    destination.end();
  });
}

/**
 * The parts of an error that are safe to log. Database and HTTP client errors
 * carry query values and response bodies as properties, which may hold secrets.
 */
export function errorSummary(error: unknown, { stack = true } = {}): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(stack ? { stack: error.stack } : {}) };
  return { name: typeof error, message: String(error) };
}
