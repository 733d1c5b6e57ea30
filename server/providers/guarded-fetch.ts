// The one way the service calls a provider: every URL (typed, interpolated or
// named by a discovery document) passes the URL policy before a byte is sent,
// and a host name's addresses are checked when the socket connects, so a name
// that resolves (or rebinds) to a private address is refused too.
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, request, type Dispatcher } from 'undici';
import { endpointUrlProblem, isPublicAddress, ProviderUrlRefused, type ProviderUrlPolicy } from './url-policy.js';

export type ProviderFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

type Lookup = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface GuardOptions {
  /** The resolver; dns.lookup (what the system resolves) unless a test gives its own. */
  lookup?: Lookup;
}

const systemLookup: Lookup = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** A provider's answer, its body read whole. */
export interface ProviderAnswer {
  status: number;
  /** By lower-case name. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type ProviderCall = (url: string | URL, init?: RequestInit) => Promise<ProviderAnswer>;

/** A header of an answer (the first, if sent more than once). */
export function answerHeader(answer: ProviderAnswer, name: string): string | null {
  const value = answer.headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Provider calls under `policy`. Redirects are never followed: a 3xx reaches the caller as it is. Made with
 * undici's request() and the body read whole (at most MAX_ANSWER_BYTES): a provider's answer is a small
 * document, and fetch()'s web streams cost four times the CPU of the call itself (a refresh storm is made
 * of these calls).
 */
export function guardedCall(policy: ProviderUrlPolicy, options: GuardOptions = {}): ProviderCall {
  const dispatcher = policy.privateAddresses === 'refused' ? publicOnlyAgent(options.lookup) : plainAgent();
  return async (url, init = {}) => {
    const href = typeof url === 'string' ? url : url.href;
    const problem = endpointUrlProblem(href, policy);
    if (problem) throw new ProviderUrlRefused(`The provider URL ${clipUrl(href)} is refused: it ${problem}.`);
    const headers = new Headers(init.headers);
    let body = init.body ?? undefined;
    if (body instanceof URLSearchParams) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      body = body.toString();
    }
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('A provider call sends a string, a form or bytes.');
    const answer = await request(href, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: Object.fromEntries(headers),
      body,
      signal: init.signal ?? AbortSignal.timeout(DEFAULT_CALL_TIMEOUT_MS),
      dispatcher,
    });
    return { status: answer.statusCode, headers: answer.headers, body: await readAtMost(answer.body, MAX_ANSWER_BYTES) };
  };
}

/** The same calls as fetch() answers them, for openid-client's discovery. */
export function guardedFetch(policy: ProviderUrlPolicy, options: GuardOptions = {}): ProviderFetch {
  const call = guardedCall(policy, options);
  return async (url, init) => answerResponse(await call(url, init));
}

/** An answer as a fetch() Response. */
export function answerResponse(answer: ProviderAnswer, body: string | Buffer = answer.body): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const each of Array.isArray(value) ? value : [value ?? '']) headers.append(name, each);
  }
  const bytes = typeof body === 'string' ? body : (new Uint8Array(body) as Uint8Array<ArrayBuffer>);
  return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : bytes, { status: answer.status, headers });
}

/**
 * The caller's signal is a call's only clock: undici's own (5 minutes for the headers and between body
 * chunks) would cut a refresh whose answer the settings allow longer (NANGO_REFRESH_ANSWER_TIMEOUT_MS).
 */
const CALLER_CLOCK = { headersTimeout: 0, bodyTimeout: 0 };
/** For a call made without a signal. */
const DEFAULT_CALL_TIMEOUT_MS = 300_000;

/** More than a provider's answer ever is (token responses and discovery documents are a few KB). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Answers that never have a body (RFC 9110 §6.4.1, §15.2, §15.3.6). */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** A provider's answer larger than MAX_ANSWER_BYTES (not read further). */
export class ProviderAnswerTooLarge extends Error {
  override name = 'ProviderAnswerTooLarge';
}

async function readAtMost(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new ProviderAnswerTooLarge(`The provider's answer is larger than ${limit} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// One pool of provider connections for the process (keep-alive across calls);
// a test's own resolver gets an agent of its own.
let sharedAgent: Agent | undefined;
let sharedPlainAgent: Agent | undefined;

function plainAgent(): Agent {
  sharedPlainAgent ??= new Agent(CALLER_CLOCK);
  return sharedPlainAgent;
}

function publicOnlyAgent(lookup: Lookup | undefined): Agent {
  if (lookup) return new Agent({ ...CALLER_CLOCK, connect: { lookup: publicOnlyLookup(lookup) } });
  sharedAgent ??= new Agent({ ...CALLER_CLOCK, connect: { lookup: publicOnlyLookup(systemLookup) } });
  return sharedAgent;
}

/**
 * An agent for calls whose bodies stream (the proxy's): the same address check
 * when a socket connects, with clocks of its own (the time to the answer's
 * headers, and the longest pause between body chunks).
 */
export function streamingAgent(policy: ProviderUrlPolicy, clocks: { headersTimeout: number; bodyTimeout: number }, options: GuardOptions = {}): Agent {
  if (policy.privateAddresses === 'allowed') return new Agent(clocks);
  return new Agent({ ...clocks, connect: { lookup: publicOnlyLookup(options.lookup ?? systemLookup) } });
}

function publicOnlyLookup(lookup: Lookup) {
  return (hostname: string, options: LookupOptions, callback: (...args: any[]) => void): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const refused = addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused || addresses.length === 0) {
        return callback(new ProviderUrlRefused(`The provider host ${hostname} resolves to a non-public address.`));
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function clipUrl(href: string): string {
  return href.length > 200 ? `${href.slice(0, 200)}…` : href;
}
