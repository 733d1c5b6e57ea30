// The generated SDK bound to a server: where it is, the secret key it sends,
// and one error type that carries the server's stable error code.
import { print, type DocumentNode } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import { getSdk } from '../generated/sdk.js';

export interface ConnectionOptions {
  /** The server's base URL, e.g. http://localhost:3003. */
  host: string;
  /** Sent as `Authorization: Bearer <key>` when given. */
  secretKey?: string | undefined;
}

/** What a single SDK call may add, as the last argument of any operation. */
export interface CallOptions {
  /** Abandons the request, e.g. `AbortSignal.timeout(5_000)`. */
  signal?: AbortSignal | undefined;
}

export type Sdk = ReturnType<typeof getSdk<CallOptions>>;

// graphql-request prints a DocumentNode on every call (about 16 µs for
// ConnectionCredentials) but only parses a string (about 5 µs), so each of the
// SDK's few documents is printed once.
const printed = new WeakMap<DocumentNode, string>();
function queryText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

export class NangoError extends Error {
  override name = 'NangoError';

  constructor(
    /** The server's stable code (e.g. unknown_provider_config), or server_unreachable / bad_response. */
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function createSdk({ host, secretKey }: ConnectionOptions): Sdk {
  const endpoint = `${host.replace(/\/+$/, '')}/graphql`;
  const client = new GraphQLClient(endpoint, {
    headers: secretKey ? { authorization: `Bearer ${secretKey}` } : {},
  });
  // The generated SDK leaves the transport to us: every operation comes through
  // here, so this is the one place a failure becomes a NangoError.
  return getSdk(async <R, V>(document: DocumentNode, variables?: V, options?: CallOptions): Promise<R> => {
    try {
      // `?? {}`: under exactOptionalPropertyTypes graphql-request refuses an explicit
      // `variables: undefined`, and an empty object means the same to the server.
      return await client.request<R>({ document: queryText(document), variables: variables ?? {}, signal: options?.signal });
    } catch (error) {
      throw toNangoError(error, host);
    }
  });
}

function toNangoError(error: unknown, host: string): NangoError {
  if (error instanceof ClientError) {
    const first = error.response.errors?.[0];
    if (first) {
      const { code, ...details } = (first.extensions ?? {}) as Record<string, unknown>;
      return new NangoError(typeof code === 'string' ? code : 'graphql_error', first.message, details);
    }
    return new NangoError('bad_response', `The server at ${host} answered HTTP ${error.response.status} without a GraphQL result.`);
  }
  // fetch() fails with a TypeError whose cause says why (ECONNREFUSED, ENOTFOUND, ...).
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    const reason = cause?.code ?? cause?.message ?? 'no answer';
    return new NangoError(
      'server_unreachable',
      `Could not reach the Nango server at ${host} (${reason}). Is it running? Set NANGO_HOSTPORT to its address.`,
    );
  }
  return new NangoError('bad_response', `The server at ${host} gave an unexpected answer: ${(error as Error).message ?? String(error)}`);
}
