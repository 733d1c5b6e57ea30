// The one error type of the domain: a stable machine-readable code, an HTTP
// status, and a message that is always safe to show the caller.

export type ErrorCode =
  | 'invalid_input'
  | 'unknown_provider_template'
  | 'duplicate_provider_config'
  | 'unknown_provider_config'
  | 'oidc_discovery_failed'
  | 'missing_connection_id'
  | 'missing_connection_config_param'
  | 'unknown_connection'
  | 'invalid_state'
  | 'access_denied'
  | 'authorization_failed'
  | 'missing_code'
  | 'token_error'
  | 'provider_unreachable'
  | 'provider_timeout'
  | 'refresh_failed'
  | 'missing_auth_header'
  | 'invalid_secret_key'
  | 'invalid_public_key'
  | 'payload_too_large';

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_provider_template: 400,
  duplicate_provider_config: 409,
  unknown_provider_config: 404,
  oidc_discovery_failed: 502,
  missing_connection_id: 400,
  missing_connection_config_param: 400,
  unknown_connection: 404,
  invalid_state: 400,
  access_denied: 403,
  authorization_failed: 400,
  missing_code: 400,
  token_error: 502,
  provider_unreachable: 502,
  provider_timeout: 504,
  refresh_failed: 502,
  missing_auth_header: 401,
  invalid_secret_key: 401,
  invalid_public_key: 401,
  payload_too_large: 413,
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
