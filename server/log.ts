// The structured logger. Redaction lives here so that no caller has to remember it.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './settings.js';

export type { Logger };

const REDACTED_KEYS = [
  'authorization',
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'password',
  'code',
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
 * The parts of an error that are safe to log. Database and HTTP client errors
 * carry query values and response bodies as properties, which may hold secrets.
 */
export function errorSummary(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: typeof error, message: String(error) };
}
