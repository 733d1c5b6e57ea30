// The generated SDK bound to a server: where it is, the secret key it sends,
// and one error type that carries the server's stable error code.
import { getOperationAST, print, type DocumentNode } from 'graphql';
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

/** Every failure of the client: the server's stable code and HTTP status, or why the server gave none. */
export class NangoError extends Error {
  override name = 'NangoError';

  constructor(
    /** The server's stable code (e.g. unknown_provider_config, credentials_rejected), or server_unreachable / bad_response. */
    readonly code: string,
    message: string,
    /** Machine-readable facts the server added (e.g. field, providerConfigKey); never secrets. */
    readonly details: Record<string, unknown> = {},
    /** The HTTP status the server answered with; 0 when it was not reached. */
    readonly status: number = 0,
  ) {
    super(message);
  }
}

export function createSdk({ host, secretKey }: ConnectionOptions): Sdk {
  const endpoint = `${host.replace(/\/+$/, '')}/graphql`;
  const headers: Record<string, string> = secretKey ? { authorization: `Bearer ${secretKey}` } : {};
  const client = new GraphQLClient(endpoint, { headers });
  // The generated SDK leaves the transport to us: every operation comes through
  // here, so this is the one place a failure becomes a NangoError.
  return getSdk(<R, V>(document: DocumentNode, variables?: V, options?: CallOptions): Promise<R> | AsyncIterable<R> => {
    if (getOperationAST(document)?.operation === 'subscription') {
      return subscription<R>({ endpoint, headers, host, query: queryText(document), variables: variables ?? {}, signal: options?.signal });
    }
    // `?? {}`: under exactOptionalPropertyTypes graphql-request refuses an explicit
    // `variables: undefined`, and an empty object means the same to the server.
    return client.request<R>({ document: queryText(document), variables: variables ?? {}, signal: options?.signal }).catch((error: unknown) => {
      throw toNangoError(error, host);
    });
  });
}

/**
 * A subscription's results over server-sent events (GraphQL over SSE, as the
 * server's Yoga speaks it), one per `next` event; a result with errors throws
 * its NangoError (e.g. subscriber_too_slow), and breaking out of the loop
 * closes the stream.
 */
async function* subscription<R>(request: { endpoint: string; headers: Record<string, string>; host: string; query: string; variables: unknown; signal: AbortSignal | undefined }): AsyncGenerator<R, void, undefined> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  request.signal?.addEventListener('abort', abort, { once: true });
  try {
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: request.query, variables: request.variables }),
        signal: controller.signal,
      });
    } catch (error) {
      throw toNangoError(error, request.host);
    }
    if (!response.ok || !response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const body = (await response.json().catch(() => null)) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | null;
      throw resultError(body?.errors, response.status) ?? new NangoError('bad_response', `The server at ${request.host} answered HTTP ${response.status} to a subscription.`, {}, response.status);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        if (event === 'complete') return;
        if (event !== 'next') continue;
        const result = JSON.parse(/^data: ?(.*)$/m.exec(block)?.[1] ?? 'null') as { data?: R; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
        const error = resultError(result.errors);
        if (error) throw error;
        if (result.data) yield result.data;
      }
    }
  } finally {
    request.signal?.removeEventListener('abort', abort);
    controller.abort();
  }
}

function resultError(errors: Array<{ message: string; extensions?: Record<string, unknown> }> | undefined, status = 200): NangoError | null {
  const first = errors?.[0];
  if (!first) return null;
  const { code, http, ...details } = first.extensions ?? {};
  const declared = (http as { status?: unknown } | undefined)?.status;
  return new NangoError(typeof code === 'string' ? code : 'graphql_error', first.message, details, typeof declared === 'number' ? declared : status);
}

function toNangoError(error: unknown, host: string): NangoError {
  if (error instanceof ClientError) {
    const fromResult = resultError(error.response.errors as Array<{ message: string; extensions?: Record<string, unknown> }> | undefined, error.response.status);
    if (fromResult) return fromResult;
    return new NangoError('bad_response', `The server at ${host} answered HTTP ${error.response.status} without a GraphQL result.`, {}, error.response.status);
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
