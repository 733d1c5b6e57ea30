// One call of the proxy to a provider's API, both bodies streamed: the request
// body goes as the caller sends it (or from memory, when it was small enough to
// keep for a retry), the answer comes back as a stream the caller reads at its
// own pace. The URL passes the URL policy before a byte is sent, and the
// socket's addresses when it connects (guarded-fetch.ts). Redirects are not
// followed: a 3xx goes back to the caller as it is.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { streamingAgent, type GuardOptions } from './guarded-fetch.js';
import type { HeaderList } from './proxy-headers.js';
import { endpointUrlProblem, ProviderUrlRefused, type ProviderUrlPolicy } from './url-policy.js';

/**
 * Says when the caller went away, to end the call it made. An EventEmitter
 * (which undici takes in place of an AbortSignal): an AbortController costs
 * microseconds per request, and almost no caller ever goes away.
 */
export class CallerGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

export interface UpstreamRequest {
  url: URL;
  method: string;
  /** Lower-case names; a name may repeat. */
  headers: HeaderList;
  body: Buffer | Readable | null;
  /** Ends the call (and its answer's body) when the caller goes away. */
  signal: CallerGone;
}

export interface UpstreamAnswer {
  status: number;
  headers: HeaderList;
  body: Readable;
}

/** Why a call brought no answer: the provider did not answer in time, could not be reached, or the URL policy refused it. */
export type UpstreamFailureKind = 'timeout' | 'unreachable' | 'refused' | 'aborted';

export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';

  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface UpstreamClock {
  /** How long the provider may take to send its answer's headers. */
  headersTimeoutMs: number;
  /** The longest pause between two chunks of its answer's body (a slow download that keeps coming is fine). */
  idleTimeoutMs: number;
}

export type UpstreamCall = (call: UpstreamRequest) => Promise<UpstreamAnswer>;

export function upstreamCaller(policy: ProviderUrlPolicy, clock: UpstreamClock, options: GuardOptions = {}): { call: UpstreamCall; close(): Promise<void> } {
  const dispatcher = streamingAgent(policy, { headersTimeout: clock.headersTimeoutMs, bodyTimeout: clock.idleTimeoutMs }, options);
  // Origins the policy has passed (the policy is fixed; names are judged again by their addresses at connect).
  const passed = new Set<string>();
  const call: UpstreamCall = async ({ url, method, headers, body, signal }) => {
    if (!passed.has(url.origin)) {
      const problem = endpointUrlProblem(url.href, policy);
      if (problem) throw new UpstreamFailure('refused', `The API URL is refused: it ${problem}.`);
      if (passed.size > 10_000) passed.clear();
      passed.add(url.origin);
    }
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers: flat(headers),
        body,
        signal,
        dispatcher,
      });
    } catch (error) {
      throw failureOf(error);
    }
    return { status: answer.statusCode, headers: listOf(answer.headers), body: answer.body };
  };
  return { call, close: () => dispatcher.close() };
}

/** undici's headers as a flat [name, value, name, value, ...] list, which keeps repeated names. */
function flat(headers: HeaderList): string[] {
  const list: string[] = [];
  for (const [name, value] of headers) list.push(name, value);
  return list;
}

function listOf(headers: Record<string, string | string[] | undefined>): HeaderList {
  const list: HeaderList = [];
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const each of value) list.push([name, each]);
    else if (value !== undefined) list.push([name, value]);
  }
  return list;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** What went wrong, by kind; never the URL (its query may carry a key). */
export function failureOf(error: unknown): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof ProviderUrlRefused) return new UpstreamFailure('refused', current.message, { cause: error });
  }
  const { name, code } = error as { name?: string; code?: string };
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED') return new UpstreamFailure('aborted', 'The call was abandoned.', { cause: error });
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new UpstreamFailure('timeout', 'The API did not answer in time.', { cause: error });
  return new UpstreamFailure('unreachable', 'The API could not be reached.', { cause: error });
}
