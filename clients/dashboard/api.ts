// The dashboard's way to the service: its session (signed in with the secret
// key, the cookie the server set, the CSRF token kept in memory only) and the
// generated typed SDK, whose every call goes to /graphql with that token.
import { graphqlEventStream, type GraphQLResult } from './event-stream.js';
import { getSdk } from './generated/sdk.js';

export interface Session {
  /** False when the server has no secret key: anyone who reaches it can use it. */
  protected: boolean;
  signedIn: boolean;
  csrfToken: string | null;
  expiresAt: string | null;
  csrfHeader: string;
}

/** A failure of a call, with the service's stable code (invalid_input, unknown_connection, ...). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

let session: Session | null = null;
/** Called when the server says the session is over: the page asks for the key again. */
let onSignedOut: () => void = () => undefined;

export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

export async function loadSession(): Promise<Session> {
  session = await call<Session>('/dashboard/session', { method: 'GET' });
  return session;
}

export async function signIn(secretKey: string): Promise<Session> {
  session = await call<Session>('/dashboard/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secretKey }) });
  return session;
}

export async function signOut(): Promise<void> {
  await call('/dashboard/session', { method: 'DELETE' });
  session = null;
}

function headers(): Record<string, string> {
  const result: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (session?.csrfToken) result[session.csrfHeader] = session.csrfToken;
  return result;
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: 'same-origin' });
  } catch {
    throw new ApiError('server_unreachable', 'The service did not answer. Is it running?');
  }
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => null)) as (T & { error?: { code: string; message: string; field?: string } }) | null;
  if (!response.ok) {
    const error = body?.error;
    throw new ApiError(error?.code ?? 'bad_response', error?.message ?? `The service answered HTTP ${response.status}.`, error?.field ?? null);
  }
  return body as T;
}

/** For a subscription: `signal` ends it, `onOpen` is called once the service has it (events from then on reach it). */
export interface RequestOptions {
  signal?: AbortSignal;
  onOpen?: () => void;
}

/** The result's data, or its first error as an ApiError (a session the server ended signs the page out). */
function dataOf<R>(body: GraphQLResult<R> | null, status: number): R {
  const error = body?.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? 'graphql_error';
    if (code === 'dashboard_session_expired' || code === 'missing_auth_header') onSignedOut();
    throw new ApiError(code, error.message, error.extensions?.field ?? null);
  }
  if (!body?.data) throw new ApiError('bad_response', `The service answered HTTP ${status} without data.`);
  return body.data;
}

async function request<R, V>(document: string, variables?: V): Promise<R> {
  let response: Response;
  try {
    response = await fetch('/graphql', { method: 'POST', credentials: 'same-origin', headers: headers(), body: JSON.stringify({ query: String(document), variables: variables ?? {} }) });
  } catch {
    throw new ApiError('server_unreachable', 'The service did not answer. Is it running?');
  }
  return dataOf((await response.json().catch(() => null)) as GraphQLResult<R> | null, response.status);
}

/** A subscription's events until the service ends it (it returns) or fails it (it throws an ApiError). */
async function* subscribe<R, V>(document: string, variables?: V, options?: RequestOptions): AsyncGenerator<R> {
  const stream = graphqlEventStream<R>({ body: JSON.stringify({ query: String(document), variables: variables ?? {} }), headers: headers(), signal: options?.signal, onOpen: options?.onOpen });
  let next: IteratorResult<GraphQLResult<R>>;
  for (;;) {
    try {
      next = await stream.next();
    } catch (error) {
      if (options?.signal?.aborted) return;
      throw error instanceof SyntaxError ? new ApiError('bad_response', 'The service sent an event that is not JSON.') : new ApiError('server_unreachable', 'The connection to the service was lost.');
    }
    if (next.done) return;
    yield dataOf(next.value, 200);
  }
}

/** The typed operations of codegen/*.graphql, sent with the session's CSRF token; subscriptions are read as server-sent events. */
export const api = getSdk<RequestOptions>(<R, V>(document: string, variables?: V, options?: RequestOptions) =>
  /^\s*subscription\b/.test(String(document)) ? subscribe<R, V>(document, variables, options) : request<R, V>(document, variables),
);
