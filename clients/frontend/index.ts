// Browser SDK (served standalone at /sdk/frontend.js): opens the OAuth popup for a
// connection and settles when the server's callback page reports the outcome via postMessage.

export interface NangoOptions {
  /** The token service's address. Default: http://localhost:3003. */
  host?: string | undefined;
  /** The server's public key, when its connect policy is `public-key` (Nango 0.x frontends). */
  publicKey?: string | undefined;
}

export interface AuthOptions {
  /** A connect session token from your backend (createConnectSession): required when the server's connect policy is `session`. */
  sessionToken?: string | undefined;
  /** Extra connection params, sent as `params[name]=value`. */
  params?: Record<string, string> | undefined;
  /** Give up (and close the popup) after this long. Default: 10 minutes. */
  timeoutMs?: number | undefined;
}

export interface ConnectUIOptions {
  /** The connect session token from your backend (createConnectSession): it names the integration and the connection. */
  sessionToken: string;
  /** Give up (and close the popup) after this long. Default: 10 minutes. */
  timeoutMs?: number | undefined;
}

/** The connection a popup stored. */
export interface AuthResult {
  providerConfigKey: string;
  connectionId: string;
}

/** Nango 0.x's error shape (`error.error.type`), kept for its callers. */
export interface AuthErrorDetail {
  type: string;
  message: string;
}

/**
 * Why a popup stored nothing: `type` is the server's error code (access_denied, invalid_connect_session,
 * credentials_rejected, ...) or the SDK's own (popup_blocked, authorization_cancelled, authorization_timeout,
 * invalid_argument).
 */
export class NangoAuthError extends Error {
  override readonly name = 'NangoAuthError';
  readonly type: string;
  readonly providerConfigKey: string;
  readonly connectionId: string;
  /** Same as `type`/`message`; Nango 0.x callers read `error.error.type`. */
  readonly error: AuthErrorDetail;

  constructor(type: string, message: string, providerConfigKey: string, connectionId: string) {
    super(message);
    this.type = type;
    this.providerConfigKey = providerConfigKey;
    this.connectionId = connectionId;
    this.error = { type, message };
  }
}

const DEFAULT_HOST = 'http://localhost:3003';
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_TIMER_MS = 2_147_483_647; // larger setTimeout delays fire immediately
const POPUP_WIDTH = 600;
const POPUP_HEIGHT = 700;
const CLOSED_POLL_MS = 250;
// The callback page posts its message and then closes itself, so the popup can be
// seen closed just before the message event is dispatched here. Wait this long first.
const CLOSED_GRACE_MS = 500;

type CallbackMessage =
  | { kind: 'success'; connectionId: string; providerConfigKey: string }
  // null: the server could not tell which flow failed (e.g. an unknown or replayed state).
  | { kind: 'failure'; connectionId: string | null; providerConfigKey: string | null; error: AuthErrorDetail };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Returns the callback page's message, or null if `raw` is anything else. */
function parseCallbackMessage(raw: unknown): CallbackMessage | null {
  if (!isObject(raw) || !isObject(raw.data)) return null;
  const { connectionId, providerConfigKey, error } = raw.data;
  if (raw.eventType === 'AUTHORIZATION_SUCEEDED') {
    if (typeof connectionId !== 'string' || typeof providerConfigKey !== 'string') return null;
    return { kind: 'success', connectionId, providerConfigKey };
  }
  const identityOrNull = (value: unknown) => typeof value === 'string' || value === null;
  if (
    raw.eventType === 'AUTHORIZATION_FAILED' &&
    identityOrNull(connectionId) &&
    identityOrNull(providerConfigKey) &&
    isObject(error) &&
    typeof error.type === 'string'
  ) {
    const message = typeof error.message === 'string' ? error.message : error.type;
    return {
      kind: 'failure',
      connectionId: connectionId as string | null,
      providerConfigKey: providerConfigKey as string | null,
      error: { type: error.type, message },
    };
  }
  return null;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Opens the service's pages in a popup and settles when they report the outcome. */
export default class Nango {
  readonly host: string;
  readonly publicKey: string | undefined;
  readonly #origin: string;

  constructor(options: NangoOptions | string = {}) {
    const { host = DEFAULT_HOST, publicKey } = typeof options === 'string' ? { host: options } : options;
    this.host = host.replace(/\/+$/, '');
    this.publicKey = publicKey;
    this.#origin = new URL(this.host).origin;
  }

  auth(providerConfigKey: string, connectionId: string, options: AuthOptions = {}): Promise<AuthResult> {
    return new Promise<AuthResult>((resolve, reject) => {
      const fail = (type: string, message: string): void =>
        reject(new NangoAuthError(type, message, providerConfigKey, connectionId));

      if (!isNonEmptyString(providerConfigKey)) {
        return fail('invalid_argument', 'providerConfigKey must be a non-empty string');
      }
      if (!isNonEmptyString(connectionId)) {
        return fail('invalid_argument', 'connectionId must be a non-empty string');
      }
      const { params = {}, timeoutMs = DEFAULT_TIMEOUT_MS, sessionToken } = options;
      if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
        return fail('invalid_argument', 'timeoutMs must be a positive number');
      }

      const query = new URLSearchParams({ connection_id: connectionId });
      if (sessionToken !== undefined) {
        if (!isNonEmptyString(sessionToken)) return fail('invalid_argument', 'sessionToken must be a non-empty string');
        query.set('connect_session_token', sessionToken);
      }
      if (this.publicKey) query.set('public_key', this.publicKey);
      for (const [name, value] of Object.entries(params)) {
        query.set(`params[${name}]`, String(value));
      }
      const url = `${this.host}/oauth/connect/${encodeURIComponent(providerConfigKey)}?${query.toString()}`;

      this.#popup(url, { providerConfigKey, connectionId }, timeoutMs).then(resolve, reject);
    });
  }

  /**
   * Opens the Connect UI for a connect session: the page names the integration, asks for an API key or
   * username and password, or goes on to the provider's authorization. Resolves with the connection
   * stored, as auth() does; rejects with the same NangoAuthError types.
   */
  openConnectUI(options: ConnectUIOptions): Promise<AuthResult> {
    const { sessionToken, timeoutMs = DEFAULT_TIMEOUT_MS } = options ?? ({} as ConnectUIOptions);
    if (!isNonEmptyString(sessionToken)) return Promise.reject(new NangoAuthError('invalid_argument', 'sessionToken must be a non-empty string', '', ''));
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return Promise.reject(new NangoAuthError('invalid_argument', 'timeoutMs must be a positive number', '', ''));
    const url = `${this.host}/connect?${new URLSearchParams({ connect_session_token: sessionToken }).toString()}`;
    return this.#popup(url, null, timeoutMs);
  }

  /** Opens `url` in a popup and settles on the outcome its last page posts; `expected`: the connection it must be about, when known. */
  #popup(url: string, expected: AuthResult | null, timeoutMs: number): Promise<AuthResult> {
    return new Promise<AuthResult>((resolve, reject) => {
      let identity: AuthResult = expected ?? { providerConfigKey: '', connectionId: '' };
      const fail = (type: string, message: string): void => reject(new NangoAuthError(type, message, identity.providerConfigKey, identity.connectionId));
      const left = window.screenX + (window.outerWidth - POPUP_WIDTH) / 2;
      const top = window.screenY + (window.outerHeight - POPUP_HEIGHT) / 2;
      const features = `width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${Math.round(left)},top=${Math.round(top)}`;
      const popup = window.open(url, '_blank', features);
      if (!popup) {
        return fail('popup_blocked', 'The authorization popup could not be opened; it may have been blocked');
      }

      let settled = false;
      let graceTimer: number | undefined;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        window.removeEventListener('message', onMessage);
        window.clearInterval(closedPoll);
        window.clearTimeout(timeoutTimer);
        window.clearTimeout(graceTimer);
        finish();
      };

      const onMessage = (event: MessageEvent): void => {
        if (event.origin !== this.#origin) return;
        const message = parseCallbackMessage(event.data);
        if (!message) return;
        const sameFlow =
          expected === null ||
          ((message.connectionId === null || message.connectionId === expected.connectionId) &&
            (message.providerConfigKey === null || message.providerConfigKey === expected.providerConfigKey));
        if (!sameFlow) return;
        if (expected === null && message.connectionId !== null && message.providerConfigKey !== null) {
          identity = { providerConfigKey: message.providerConfigKey, connectionId: message.connectionId };
        }
        if (message.kind === 'success') {
          settle(() => resolve(identity));
        } else {
          settle(() => fail(message.error.type, message.error.message));
        }
      };

      const closedPoll = window.setInterval(() => {
        if (!popup.closed) return;
        window.clearInterval(closedPoll);
        graceTimer = window.setTimeout(
          () => settle(() => fail('authorization_cancelled', 'The authorization popup was closed before completing')),
          CLOSED_GRACE_MS,
        );
      }, CLOSED_POLL_MS);

      const timeoutTimer = window.setTimeout(() => {
        settle(() => {
          popup.close();
          fail('authorization_timeout', `Authorization did not complete within ${timeoutMs} ms`);
        });
      }, Math.min(timeoutMs, MAX_TIMER_MS));

      window.addEventListener('message', onMessage);
    });
  }
}
