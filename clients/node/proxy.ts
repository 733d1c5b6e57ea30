// Calls to a provider's API through the service's /proxy route: the service
// places the connection's fresh credentials, the provider's answer comes back as is.
import { NangoError, type ConnectionOptions } from './graphql-client.js';

/** The methods the proxy route takes. */
export type ProxyMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * How the answer's body becomes `data`: parsed JSON, text, an ArrayBuffer, or the
 * body's ReadableStream unread (yours to read or cancel). Without one: JSON when
 * the answer's content-type says JSON, text otherwise.
 */
export type ProxyResponseType = 'json' | 'text' | 'arraybuffer' | 'stream';

/** One call to a provider's API for one connection. */
export interface ProxyConfig {
  /** Default GET; any case. */
  method?: ProxyMethod | Lowercase<ProxyMethod> | undefined;
  /** The provider's path under its base URL, e.g. `/user/repos` (it may carry a query of its own). */
  endpoint: string;
  providerConfigKey: string;
  connectionId: string;
  /** Added to the query; an array repeats the name (`labels=a&labels=b`). */
  params?: Record<string, string | number | boolean | string[]> | undefined;
  /** Sent to the provider (except cookies, hop-by-hop headers and Authorization, which the service drops). */
  headers?: Record<string, string> | undefined;
  /**
   * The body. A string, Uint8Array, ArrayBuffer, Blob, URLSearchParams, FormData or
   * ReadableStream is sent as is (a stream is uploaded as it is read); anything
   * else is sent as JSON, with content-type application/json unless `headers` set one.
   */
  data?: unknown;
  /** How many times the service waits out a 429 or 503 (Retry-After or backoff) or retries a network failure: 0 to 10, default 0. */
  retries?: number | undefined;
  /** Another base URL for this call; its host must be among the config's proxyAllowedHosts. */
  baseUrlOverride?: string | undefined;
  responseType?: ProxyResponseType | undefined;
  /** Abandons the call, e.g. `AbortSignal.timeout(5_000)`. */
  signal?: AbortSignal | undefined;
}

/** The provider's answer, whatever its status: a 404 or a 500 from the provider is an answer, not an error. */
export interface ProxyResponse<T = unknown> {
  status: number;
  /** The provider's headers (the service keeps its cookies and authentication headers back). */
  headers: Headers;
  /** The body, as `responseType` asked: null for an empty JSON body; a ReadableStream<Uint8Array> for 'stream'. */
  data: T;
}

/** Marks the service's own refusals (unknown connection, provider unreachable, ...); a provider's answer never carries it. */
const PROXY_ERROR_HEADER = 'x-nango-proxy-error';
const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Sends one proxied call; the service's own refusals throw NangoError, the provider's answers (any status) resolve. */
export async function proxyCall<T = unknown>({ host, secretKey }: ConnectionOptions, config: ProxyConfig): Promise<ProxyResponse<T>> {
  const method = (config.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) throw new NangoError('invalid_input', `The proxy takes ${[...METHODS].join(', ')}, not ${config.method}.`, { field: 'method' });
  const base = host.replace(/\/+$/, '');
  const endpoint = config.endpoint.startsWith('/') ? config.endpoint : `/${config.endpoint}`;
  const query = queryOf(config.params);
  const url = `${base}/proxy${endpoint}${query === '' ? '' : `${endpoint.includes('?') ? '&' : '?'}${query}`}`;

  const headers = new Headers(config.headers);
  // Set after the caller's: these name the connection, and the caller's own Authorization would never reach the provider anyway.
  if (secretKey) headers.set('authorization', `Bearer ${secretKey}`);
  headers.set('provider-config-key', config.providerConfigKey);
  headers.set('connection-id', config.connectionId);
  if (config.retries !== undefined) headers.set('retries', String(config.retries));
  if (config.baseUrlOverride !== undefined) headers.set('base-url-override', config.baseUrlOverride);
  const body = bodyOf(config.data, headers);

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      // A provider's redirect is its answer: followed here, a relative Location would land on the service itself.
      redirect: 'manual',
      signal: config.signal ?? null,
      // Node's fetch sends a stream only half-duplex, and says so only when asked.
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch (error) {
    if (config.signal?.aborted) throw error;
    throw unreachable(error, base);
  }

  const refusal = response.headers.get(PROXY_ERROR_HEADER);
  if (refusal !== null) throw await serviceError(refusal, response);
  return { status: response.status, headers: response.headers, data: (await dataOf(response, config.responseType, base)) as T };
}

function queryOf(params: ProxyConfig['params']): string {
  if (!params) return '';
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    // encodeURIComponent, not URLSearchParams: a space is %20, which every API reads as a space ('+' not all).
    for (const each of Array.isArray(value) ? value : [value]) pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(each))}`);
  }
  return pairs.join('&');
}

function bodyOf(data: unknown, headers: Headers): BodyInit | null {
  if (data === undefined || data === null) return null;
  if (
    typeof data === 'string' ||
    data instanceof Uint8Array ||
    data instanceof ArrayBuffer ||
    data instanceof Blob ||
    data instanceof URLSearchParams ||
    data instanceof FormData ||
    data instanceof ReadableStream
  ) {
    return data as BodyInit;
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(data);
}

async function dataOf(response: Response, responseType: ProxyResponseType | undefined, host: string): Promise<unknown> {
  switch (responseType) {
    case 'stream':
      return response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    case 'arraybuffer':
      return response.arrayBuffer();
    case 'text':
      return response.text();
    case 'json': {
      const text = await response.text();
      try {
        return text === '' ? null : JSON.parse(text);
      } catch {
        throw new NangoError('bad_response', `The provider's answer (HTTP ${response.status}) through ${host} is not JSON.`, {}, response.status);
      }
    }
    case undefined: {
      const text = await response.text();
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '')) return text;
      // Inferred from the content-type only: a provider that says JSON but sends something else still gets its text back.
      try {
        return text === '' ? null : JSON.parse(text);
      } catch {
        return text;
      }
    }
  }
}

async function serviceError(code: string, response: Response): Promise<NangoError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown; [detail: string]: unknown } } | null;
  const { code: _code, message, ...details } = body?.error ?? {};
  return new NangoError(code, typeof message === 'string' ? message : `The proxy refused the call (HTTP ${response.status}).`, details, response.status);
}

function unreachable(error: unknown, host: string): NangoError {
  // fetch() fails with a TypeError whose cause says why (ECONNREFUSED, ENOTFOUND, ...).
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message ?? 'no answer';
  return new NangoError('server_unreachable', `Could not reach the Nango server at ${host} (${reason}). Is it running? Set NANGO_HOSTPORT to its address.`);
}
