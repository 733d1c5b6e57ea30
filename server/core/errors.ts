import { databaseFailure } from '../db/failures.js';

// The error catalogue: every code a caller can see, with its HTTP status and a
// message that is always safe to show. The faces (REST JSON, GraphQL
// extensions, the popup page, the CLI) render these and invent none of their own.

const CATALOGUE = {
  // The caller's request.
  invalid_input: { status: 400, message: 'The request is not valid.' },
  not_found: { status: 404, message: 'There is no such route.' },
  payload_too_large: { status: 413, message: 'The request body is over the limit.' },
  // nginx's 499: only logs and metrics see it, the client being gone.
  request_abandoned: { status: 499, message: 'The client went away before its answer was ready.' },
  missing_auth_header: { status: 401, message: 'This server requires its secret key: send `Authorization: Bearer <NANGO_SECRET_KEY>`.' },
  invalid_secret_key: { status: 401, message: "The secret key in the Authorization header is not this server's." },
  dashboard_session_expired: { status: 401, message: 'The dashboard session has expired or is not this server\'s: sign in again with the secret key.' },
  csrf_token_invalid: { status: 403, message: "A dashboard request must carry its session's CSRF token (the x-nango-csrf header)." },
  invalid_public_key: { status: 401, message: 'This server requires its public key: pass `publicKey` to the frontend SDK (public_key=<key>).' },
  // Provider configs and connections.
  unknown_provider_template: { status: 400, message: 'There is no such provider template.' },
  duplicate_provider_config: { status: 409, message: 'A provider config with this key exists already.' },
  unknown_provider_config: { status: 404, message: 'There is no such provider config.' },
  oidc_discovery_failed: { status: 502, message: "The issuer's OpenID Connect discovery failed." },
  provider_url_refused: { status: 400, message: 'The provider URL is refused by the URL policy (https only; no loopback, private or link-local hosts).' },
  provider_config_incomplete: { status: 400, message: 'The provider config lacks a param its template needs; its owner must set it.' },
  missing_connection_id: { status: 400, message: 'A connection id is required.' },
  missing_connection_config_param: { status: 400, message: 'A connection param the provider template needs is missing.' },
  unknown_connection: { status: 404, message: 'There is no such connection.' },
  credentials_rejected: { status: 400, message: "The API refused the credentials given (its check request answered 401 or 403); nothing was stored." },
  credentials_check_failed: { status: 502, message: "The API's answer to the check request was neither a success nor a refusal; nothing was stored." },
  // The OAuth flow.
  invalid_connect_session: { status: 401, message: 'The connect session is unknown, expired, already used, or for another connection.' },
  connect_session_required: { status: 401, message: 'Connecting here needs a connect session: your backend creates one (createConnectSession) and the page passes its token.' },
  confirmation_required: { status: 403, message: 'Connecting needs a click on Continue in the page that names the connection, in this browser. Open the connect link again.' },
  too_many_flows: { status: 429, message: 'Too many authorizations are in progress. Finish or wait for the open ones, then try again.' },
  invalid_state: { status: 400, message: 'The OAuth state is unknown, used or expired.' },
  access_denied: { status: 403, message: 'The end user or the provider denied the authorization.' },
  authorization_failed: { status: 400, message: 'The provider reported an authorization error.' },
  missing_code: { status: 400, message: 'The provider sent no authorization code.' },
  token_error: { status: 502, message: 'The provider refused to issue a token.' },
  // Talking to providers.
  provider_unreachable: { status: 502, message: 'The provider could not be reached.' },
  provider_timeout: { status: 504, message: 'The provider did not answer in time.' },
  refresh_failed: { status: 502, message: 'Refreshing the credentials failed.' },
  refresh_pending: { status: 503, message: 'The provider has not answered the refresh yet.' },
  revocation_failed: { status: 502, message: 'Revoking the grant at the provider failed; the connection was not deleted.' },
  revocation_unsupported: { status: 400, message: 'The provider has no token revocation endpoint; delete without revoke, or with force.' },
  // Events.
  subscriber_too_slow: { status: 429, message: 'The subscription fell too far behind and was ended; subscribe again.' },
  // Webhooks.
  unknown_webhook_endpoint: { status: 404, message: 'There is no such webhook endpoint.' },
  unknown_webhook_delivery: { status: 404, message: 'There is no such webhook delivery.' },
  webhook_url_refused: { status: 400, message: 'The webhook URL is refused by the URL policy (https only; no loopback, private or link-local hosts unless allowed).' },
  // The server itself.
  database_unavailable: { status: 503, message: 'The database does not answer.' },
  internal_error: { status: 500, message: 'An unexpected error occurred.' },
} as const satisfies Record<string, { status: number; message: string }>;

/**
 * The GraphQL protocol's own codes, which GraphQL clients know by these names
 * (Yoga's and Apollo's), for what goes wrong before or around a resolver.
 */
const GRAPHQL_PROTOCOL = {
  BAD_REQUEST: { status: 400, message: 'The GraphQL request is not valid.' },
  BAD_USER_INPUT: { status: 400, message: 'A variable is not valid.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document does not parse.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: 'The GraphQL document is not valid against the schema.' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The GraphQL document is over a limit.' },
  CSRF_PREVENTED: { status: 403, message: 'The request looks like a cross-site request.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof CATALOGUE;
export type GraphQLProtocolCode = keyof typeof GRAPHQL_PROTOCOL;

/** Every code a caller can see, for tests and documentation. */
export const ERROR_CODES: ReadonlyArray<ErrorCode | GraphQLProtocolCode> = [
  ...(Object.keys(CATALOGUE) as ErrorCode[]),
  ...(Object.keys(GRAPHQL_PROTOCOL) as GraphQLProtocolCode[]),
];

export function statusOf(code: ErrorCode | GraphQLProtocolCode): number {
  return code in CATALOGUE ? CATALOGUE[code as ErrorCode].status : GRAPHQL_PROTOCOL[code as GraphQLProtocolCode].status;
}

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    /** Safe to show the caller; the catalogue's message when not given. */
    message: string = CATALOGUE[code].message,
    /** Extra machine-readable facts (e.g. the offending field); never secrets. */
    readonly details: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = CATALOGUE[code].status;
  }
}

export function invalidInput(field: string, problem: string): AppError {
  return new AppError('invalid_input', `${field}: ${problem}`, { field });
}

/**
 * What a face shows for any error: an AppError as it is, a database that does
 * not answer as database_unavailable, anything else as internal_error (with
 * `unexpected` set, for the face to log it once).
 */
export function asAppError(error: unknown): { error: AppError; unexpected: boolean } {
  if (error instanceof AppError) return { error, unexpected: false };
  const failure = databaseFailure(error);
  if (failure === 'unavailable') return { error: new AppError('database_unavailable', undefined, {}, { cause: error }), unexpected: false };
  if (failure === 'refused_bytes') return { error: new AppError('invalid_input', 'The request holds bytes the database cannot store (a NUL character or invalid UTF-8).', {}, { cause: error }), unexpected: false };
  return { error: new AppError('internal_error', CATALOGUE.internal_error.message, {}, { cause: error }), unexpected: true };
}
