// The one error type of the domain: a stable machine-readable code, an HTTP
// status, and a message that is always safe to show the caller.

export type ErrorCode =
  | 'invalid_input'
  | 'unknown_provider_template'
  | 'duplicate_provider_config'
  | 'unknown_provider_config'
  | 'oidc_discovery_failed';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_provider_template: 400,
  duplicate_provider_config: 409,
  unknown_provider_config: 404,
  oidc_discovery_failed: 502,
};

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable facts (e.g. the offending field); never secrets. */
    readonly details: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

export function invalidInput(field: string, problem: string): AppError {
  return new AppError('invalid_input', `${field}: ${problem}`, { field });
}
