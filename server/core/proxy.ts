// The proxy: a backend's request sent on to a provider's API for one
// connection, with the connection's fresh credentials placed as its auth mode
// wants, so that the backend never handles a token. The URL is always under the
// configured base URL (proxy-target.ts); the caller's own credentials and the
// provider's cookies never cross (proxy-headers.ts). A 401 refreshes the
// credentials once (the refresh engine: once across instances) and the call is
// made again; a 429 or 503 is waited out up to the caller's Retries and the
// time budget; a network failure is retried only for idempotent methods. A
// call is made again only when its body is replayable (kept in memory).
import { Readable } from 'node:stream';
import type { ConnectionStore, ConnectionWithCredentials } from '../db/connection-store.js';
import { NULL_BODY_STATUSES } from '../providers/guarded-fetch.js';
import { failureOf, UpstreamFailure, type CallerGone, type UpstreamAnswer, type UpstreamCall } from '../providers/proxy-call.js';
import type { HeaderList } from '../providers/proxy-headers.js';
import { ProxyPathRefused, proxyTarget } from '../providers/proxy-target.js';
import { checkProviderUrl, ProviderUrlRefused, type ProviderUrlPolicy } from '../providers/url-policy.js';
import { refreshable } from './credentials.js';
import { AppError, invalidInput } from './errors.js';
import type { FreshCredentials } from './fresh-credentials.js';
import { checkConnectionIdentity, clip } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { apiBaseUrl, type ProviderApp, type ProviderApps } from './provider-apps.js';
import { proxyBody, uploadTooLarge } from './proxy-body.js';
import { outgoingRequest, returnedHeaders } from './proxy-credentials.js';

export { PROXY_ERROR_HEADER } from '../providers/proxy-headers.js';
export { NULL_BODY_STATUSES } from '../providers/guarded-fetch.js';
export { CallerGone } from '../providers/proxy-call.js';

export interface ProxySettings {
  /** No request body may be larger (NANGO_PROXY_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** How long the API may take to answer, and the longest pause in a body either way (NANGO_PROXY_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long waits for Retry-After or backoff may add up to, from the request's arrival (NANGO_PROXY_RETRY_BUDGET_MS). */
  retryBudgetMs: number;
  /** The most retries a caller may ask for with the Retries header. */
  maxRetries: number;
}

/** A proxied request as the HTTP face hands it over. */
export interface ProxyRequest {
  /** The Provider-Config-Key and Connection-Id headers, as sent. */
  providerConfigKey: string | undefined;
  connectionId: string | undefined;
  method: string;
  /** The path after /proxy, as sent (percent-encoded), and the query ('' or '?...'). */
  path: string;
  search: string;
  /** The caller's headers, lower-case names. */
  headers: HeaderList;
  /** The Retries and Base-Url-Override headers, as sent. */
  retries: string | undefined;
  baseUrlOverride: string | undefined;
  body: { open(): Readable; declared: number | null; mayHaveBody: boolean };
  /** Aborted when the caller goes away. */
  signal: CallerGone;
}

export interface ProxyAnswer {
  status: number;
  headers: HeaderList;
  /** Null when the answer has no body; the bytes when it was small, read whole. */
  body: Readable | Buffer | null;
  /** Calls made again after a 429, a 503 or a network failure (not the one after a refresh). */
  retries: number;
}

/** Bodies up to this size are kept in memory, so that the call can be made again. */
const REPLAY_BYTES = 1024 * 1024;
/** A 401's body is kept (to return it as it was if the refresh fails) up to this size. */
const HELD_ANSWER_BYTES = 64 * 1024;
/** Answers declared this small are read whole and written with their headers at once. */
const SMALL_ANSWER_BYTES = 64 * 1024;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** RFC 9110 §9.2.2: a network failure may be retried without the request having had an effect twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const MAX_BASES_PER_APP = 10_000;

export class ApiProxy {
  private readonly bases = new WeakMap<ProviderApp, Map<string, string | null>>();

  constructor(
    private readonly options: {
      connections: ConnectionStore;
      apps: ProviderApps;
      fresh: FreshCredentials;
      upstream: UpstreamCall;
      policy: ProviderUrlPolicy;
      settings: ProxySettings;
      observer?: CoreObserver;
    },
  ) {}

  async call(request: ProxyRequest): Promise<ProxyAnswer> {
    const started = Date.now();
    const { settings } = this.options;
    const providerConfigKey = required(request.providerConfigKey, 'Provider-Config-Key');
    const connectionId = required(request.connectionId, 'Connection-Id');
    checkConnectionIdentity(providerConfigKey, connectionId);
    const retries = retriesOf(request.retries, settings.maxRetries);
    const identity = { providerConfigKey, connectionId };

    const read = await this.options.connections.getForProxy(providerConfigKey, connectionId);
    if (!read) throw new AppError('unknown_connection', `No connection "${connectionId}" for provider config "${providerConfigKey}".`, identity);
    const app = await this.options.apps.get(providerConfigKey, read.configUpdatedAt);
    const target = this.target(app, read.connection, request);
    const body = await proxyBody(request.body.open, request.body.declared, request.body.mayHaveBody, { replayBytes: REPLAY_BYTES, uploadBytes: settings.maxUploadBytes, idleMs: settings.timeoutMs });
    const replayable = body.kind !== 'stream';
    const provider = read.connection.provider;

    let fresh = await this.options.fresh.get(providerConfigKey, connectionId, false, read.connection);
    let refreshed = false;
    let retried = 0;
    const deadline = started + settings.retryBudgetMs;
    // A caller gone during a wait is the caller's doing, as it is during a call: not an unexpected error of ours.
    const pause = (ms: number) =>
      sleep(ms, request.signal).catch((gone: unknown) => {
        this.observer.proxied(provider, 'aborted', retried);
        throw failureError(failureOf(gone), identity);
      });
    for (;;) {
      let answer: UpstreamAnswer;
      try {
        answer = await this.options.upstream(outgoingRequest(app, fresh.credentials, target, request, body));
      } catch (thrown) {
        const failure = failureOf(thrown);
        if (body.kind === 'stream' && body.stream.exceeded) throw uploadTooLarge(settings.maxUploadBytes);
        const wait = backoffMs(retried);
        if (failure.kind !== 'refused' && failure.kind !== 'aborted' && replayable && IDEMPOTENT.has(request.method) && retried < retries && Date.now() + wait <= deadline) {
          retried++;
          await pause(wait);
          continue;
        }
        this.observer.proxied(provider, failure.kind, retried);
        throw failureError(failure, identity);
      }

      if (answer.status === 401 && refreshable(fresh.credentials) && replayable) {
        if (!refreshed) {
          const held = await holdAnswer(answer);
          refreshed = true;
          try {
            // Forced, over the credentials this call used: if another request (or instance) renewed them meanwhile, those are used.
            fresh = await this.options.fresh.get(providerConfigKey, connectionId, true, fresh.connection);
            continue;
          } catch {
            // The refresh failed (its outcome is the connection's health): the provider's refusal stands as it was.
            answer = held;
          }
        } else {
          // The caller gets the API's refusal whether or not the database takes the health: a database away
          // must not turn the provider's answer into ours.
          await this.options.connections
            .markCredentialsRejected(
              fresh.connection.id,
              fresh.connection.credentialsVersion,
              'credentials_rejected',
              'The API refused the credentials again right after they were renewed (HTTP 401): the end user must connect again.',
            )
            .catch(() => undefined);
        }
      }

      if ((answer.status === 429 || answer.status === 503) && replayable && retried < retries) {
        const wait = retryAfterMs(answer.headers, Date.now()) ?? backoffMs(retried);
        if (Date.now() + wait <= deadline) {
          discard(answer.body);
          retried++;
          await pause(wait);
          continue;
        }
      }

      this.observer.proxied(provider, String(answer.status), retried);
      return {
        status: answer.status,
        headers: returnedHeaders(answer, fresh.credentials),
        body: NULL_BODY_STATUSES.has(answer.status) || request.method === 'HEAD' ? (discard(answer.body), null) : await smallBodyRead(answer, identity),
        retries: retried,
      };
    }
  }

  /** The URL the call goes to: the caller's path under the base URL (or the override the config allows). */
  private target(app: ProviderApp, connection: ConnectionWithCredentials, request: ProxyRequest): URL {
    const details = { providerConfigKey: app.config.key };
    const base = this.baseUrl(app, connection);
    const from = app.template.proxy?.baseUrlFrom;
    if (!base && from) {
      throw new AppError(
        'provider_config_incomplete',
        `The provider named no API origin (${from.metadata}) for this connection: connect it again, or set the config's baseUrl.`,
        { ...details, connectionId: connection.connectionId },
      );
    }
    if (!base) {
      throw new AppError(
        'provider_config_incomplete',
        `The provider config "${app.config.key}" has no API base URL to proxy to: set its baseUrl (the template "${app.template.name}" names none).`,
        details,
      );
    }
    const chosen = request.baseUrlOverride === undefined ? base : this.override(app, base, request.baseUrlOverride);
    try {
      return proxyTarget(chosen, request.path, request.search);
    } catch (error) {
      if (error instanceof ProxyPathRefused) throw new AppError('invalid_input', `path: ${error.message}`, { ...details, field: 'path' });
      throw error;
    }
  }

  /**
   * The API's base URL for a connection's params, filled and checked once per
   * app and params (an app is replaced when its config changes).
   */
  private baseUrl(app: ProviderApp, connection: ConnectionWithCredentials): string | null {
    let bases = this.bases.get(app);
    if (!bases) this.bases.set(app, (bases = new Map()));
    // The metadata counts only where the template takes the base from it.
    const from = app.template.proxy?.baseUrlFrom;
    const named = from && !app.config.baseUrl ? connection.metadata[from.metadata] : undefined;
    const key = JSON.stringify([connection.connectionConfig, named]);
    const known = bases.get(key);
    if (known !== undefined) return known;
    const base = apiBaseUrl(app, connection.connectionConfig, this.options.policy, connection.metadata);
    if (bases.size >= MAX_BASES_PER_APP) bases.clear();
    bases.set(key, base);
    return base;
  }

  /** Base-Url-Override: only to the base URL's own host or one the config lists in proxyAllowedHosts. */
  private override(app: ProviderApp, base: string, given: string): string {
    const field = 'Base-Url-Override';
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw invalidInput(field, 'must be a URL such as https://uploads.example.com');
    }
    if (url.username || url.password || url.search || url.hash || !/^https?:$/.test(url.protocol)) {
      throw invalidInput(field, 'must be an http(s) URL without credentials, query or fragment');
    }
    const allowed = new Set([new URL(base).host, ...app.config.proxyAllowedHosts.map((host) => host.toLowerCase())]);
    if (!allowed.has(url.host)) {
      throw new AppError('invalid_input', `${field}: the host ${clip(url.host, 100)} is not one the provider config "${app.config.key}" allows (its base URL's host, or proxyAllowedHosts).`, {
        providerConfigKey: app.config.key,
        field,
      });
    }
    try {
      checkProviderUrl(field, url.href, this.options.policy);
    } catch (error) {
      if (error instanceof ProviderUrlRefused) throw new AppError('provider_url_refused', clip(error.message, 300), { providerConfigKey: app.config.key });
      throw error;
    }
    return url.href.replace(/\/+$/, '');
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }
}

function required(value: string | undefined, header: string): string {
  if (value === undefined || value === '') throw invalidInput(header, 'this header is required');
  return value;
}

function retriesOf(value: string | undefined, max: number): number {
  if (value === undefined) return 0;
  if (!/^\d{1,3}$/.test(value) || Number(value) > max) throw invalidInput('Retries', `must be a whole number from 0 to ${max}`);
  return Number(value);
}

/** Retry-After (RFC 9110 §10.2.3) in milliseconds from now: delay-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: HeaderList, now: number): number | null {
  const value = headers.find(([name]) => name === 'retry-after')?.[1]?.trim();
  if (!value) return null;
  // Seconds, with a fraction too (Shopify sends "2.0").
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP date is in GMT and names its month: Date.parse also takes "1.5" or "-1" for dates in 2001, long past (a retry at once).
  if (!/[A-Za-z]{3}/.test(value) || !/GMT$/.test(value)) return null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential, with jitter so that many callers refused at once do not come back at once. */
function backoffMs(retried: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** retried);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function sleep(ms: number, signal: CallerGone): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AppError('request_abandoned'));
    const timer = setTimeout(() => {
      signal.off('abort', gone);
      resolve();
    }, ms);
    const gone = () => {
      clearTimeout(timer);
      reject(new AppError('request_abandoned'));
    };
    signal.once('abort', gone);
  });
}

/**
 * A small answer (declared at most SMALL_ANSWER_BYTES: most API answers) read whole, to go out in one
 * write with its headers; anything larger, or of unknown length, streams as it comes.
 */
async function smallBodyRead(answer: UpstreamAnswer, details: Record<string, string>): Promise<Readable | Buffer> {
  const declared = answer.headers.find(([name]) => name === 'content-length')?.[1];
  if (declared === undefined || !/^\d{1,5}$/.test(declared) || Number(declared) > SMALL_ANSWER_BYTES) return answer.body;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    // Cut off, or longer or shorter than it said: nothing of it is passed on as if it were whole.
    throw failureError(failureOf(error), details);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** A 401 kept whole (up to HELD_ANSWER_BYTES, beyond which its body is cut there), to be returned if the refresh fails. */
async function holdAnswer(answer: UpstreamAnswer): Promise<UpstreamAnswer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HELD_ANSWER_BYTES) break;
    }
  } catch {
    // What arrived is what is returned.
  }
  discard(answer.body);
  const bytes = Buffer.concat(chunks).subarray(0, HELD_ANSWER_BYTES);
  return { status: answer.status, headers: answer.headers.filter(([name]) => name !== 'content-length').concat([['content-length', String(bytes.length)]]), body: Readable.from([bytes]) };
}

function failureError(failure: UpstreamFailure, details: Record<string, string>): AppError {
  switch (failure.kind) {
    case 'timeout':
      return new AppError('provider_timeout', 'The API did not answer in time.', details, { cause: failure });
    case 'refused':
      return new AppError('provider_url_refused', clip(failure.message, 300), details, { cause: failure });
    case 'aborted':
      return new AppError('request_abandoned', undefined, details, { cause: failure });
    case 'unreachable':
      return new AppError('provider_unreachable', 'The API could not be reached.', details, { cause: failure });
  }
}
