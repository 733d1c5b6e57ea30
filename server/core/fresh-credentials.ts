// Fresh credentials: the read in front of every API call our users make.
// A token near expiry is refreshed exactly once, however many readers and
// instances ask at the same time: readers in this process join one flight per
// connection, and across instances the connection's row lock serializes the
// refresh, after which the others find fresh tokens and return them.
import type { ConnectionStore, ConnectionWithCredentials } from '../db/connection-store.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { ConnectionParamError } from '../providers/connection-params.js';
import { ProviderCallError } from '../providers/oauth2-client.js';
import { unknownConnection } from './connections.js';
import { credentialsFromTokenResponse, parseCredentials, serializeCredentials, type Credentials, type OAuth2Credentials } from './credentials.js';
import { AppError } from './errors.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { checkConnectionIdentity, clip } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { loadProviderApp, oauth2ClientFor } from './provider-apps.js';

export interface FreshCredentialsOptions {
  configs: ProviderConfigStore;
  connections: ConnectionStore;
  catalog: ProviderCatalog;
  providerTimeoutSeconds: number;
  urlPolicy: ProviderUrlPolicy;
  /** Refresh this long before expiry (at most half the token's lifetime). Default 15 minutes. */
  refreshWindowSeconds?: number;
  observer?: CoreObserver;
  /** After a failed refresh, answer refresh_failed this long without calling the provider. Default 30 s. */
  failureCooldownSeconds?: number;
  now?: () => Date;
}

export type { ConnectionWithCredentials };

export interface FreshConnection {
  connection: ConnectionWithCredentials;
  credentials: Credentials;
}

const DEFAULT_WINDOW_SECONDS = 15 * 60;
const DEFAULT_COOLDOWN_SECONDS = 30;
const STILL_VALID_MARGIN_MS = 30_000;
// Failures that say nothing about the grant: the provider was down, slow or confused.
const TRANSIENT_FAILURES = new Set(['provider_timeout', 'provider_unreachable', 'bad_response', 'server_error', 'temporarily_unavailable']);

function isTransient(code: string): boolean {
  return TRANSIENT_FAILURES.has(code);
}

export class FreshCredentials {
  private readonly flights = new Map<string, Promise<FreshConnection>>();

  constructor(private readonly options: FreshCredentialsOptions) {}

  /** The connection as stored, credentials included: the one query of a token read. */
  async read(providerConfigKey: string, connectionId: string): Promise<ConnectionWithCredentials> {
    checkConnectionIdentity(providerConfigKey, connectionId);
    const connection = await this.options.connections.getWithCredentials(providerConfigKey, connectionId);
    if (!connection) throw unknownConnection(providerConfigKey, connectionId);
    return connection;
  }

  /**
   * The connection with credentials valid beyond the refresh window, refreshing them first if needed.
   * `alreadyRead`: the row this request read a moment ago (GraphQL's connection
   * field), so that a token read stays one query.
   */
  async get(providerConfigKey: string, connectionId: string, forceRefresh = false, alreadyRead?: ConnectionWithCredentials): Promise<FreshConnection> {
    const connection = alreadyRead ?? (await this.read(providerConfigKey, connectionId));
    const credentials = parseCredentials(connection.credentials);
    // OAuth 1.0a tokens neither expire nor refresh.
    if (credentials.type === 'OAUTH1') return { connection, credentials };
    if (!forceRefresh && !this.isStale(credentials, connection.provider)) return { connection, credentials };

    const key = `${providerConfigKey}\u0000${connectionId}`;
    const flight = this.flights.get(key);
    if (flight) return flight;
    const started = this.refreshOnce(connection, credentials, forceRefresh).finally(() => this.flights.delete(key));
    this.flights.set(key, started);
    return started;
  }

  private isStale(credentials: OAuth2Credentials, provider: string): boolean {
    const templateWindow = this.options.catalog.get(provider)?.refreshWindowSeconds;
    return refreshDue(credentials, templateWindow ?? this.options.refreshWindowSeconds ?? DEFAULT_WINDOW_SECONDS, this.now());
  }

  private async refreshOnce(read: ConnectionWithCredentials, readCredentials: OAuth2Credentials, forceRefresh: boolean): Promise<FreshConnection> {
    const identity = { providerConfigKey: read.providerConfigKey, connectionId: read.connectionId };
    const cooling = this.duringCooldown(read, readCredentials, identity);
    if (cooling) return cooling;
    // Everything that does not need the lock is prepared before taking it:
    // the lock is held only for the re-read, the provider call and the write.
    const prepared = await this.prepare(read).then(
      (refresher) => ({ ok: true as const, refresher }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const outcome = await this.options.connections.transaction(async (transaction) => {
      const locked = await this.options.connections.lockWithCredentials(transaction, read.id);
      if (!locked) throw unknownConnection(identity.providerConfigKey, identity.connectionId);
      const current = parseCredentials(locked.credentials);
      if (current.type === 'OAUTH1') return { ok: true as const, fresh: { connection: locked, credentials: current } };
      // Someone refreshed while we waited for the lock: their tokens are ours.
      const refreshedMeanwhile = current.accessToken !== readCredentials.accessToken;
      if (refreshedMeanwhile || (!forceRefresh && !this.isStale(current, locked.provider))) {
        return { ok: true as const, fresh: { connection: locked, credentials: current } };
      }
      const coolingLocked = this.duringCooldown(locked, current, identity);
      if (coolingLocked) return { ok: true as const, fresh: coolingLocked };
      try {
        if (!prepared.ok) throw prepared.error;
        const refreshed = await prepared.refresher(current);
        const serialized = serializeCredentials(refreshed);
        await this.options.connections.saveRefreshed(transaction, locked, serialized, refreshed.expiresAt);
        this.observer.refreshed('success', locked.provider);
        return { ok: true as const, fresh: { connection: { ...locked, credentials: serialized }, credentials: refreshed } };
      } catch (error) {
        const failure = describeFailure(error);
        await this.options.connections.recordRefreshFailure(transaction, locked.id, failure);
        this.observer.refreshed('failure', locked.provider);
        this.observer.refreshFailed({ ...identity, provider: locked.provider, code: failure.code });
        // A provider outage must not take away a token that still works.
        if (isTransient(failure.code) && this.stillValid(current)) {
          return { ok: true as const, fresh: { connection: locked, credentials: current } };
        }
        return { ok: false as const, failure, usedRefreshToken: current.refreshToken, cause: error };
      }
    });
    if (outcome.ok) return outcome.fresh;

    if (outcome.failure.code === 'invalid_grant') {
      // A lost race, not a revocation, if another writer already rotated the tokens.
      const again = await this.options.connections.getWithCredentials(identity.providerConfigKey, identity.connectionId);
      const credentials = again ? parseCredentials(again.credentials) : null;
      if (again && credentials?.type === 'OAUTH2' && credentials.refreshToken !== outcome.usedRefreshToken && !this.isStale(credentials, again.provider)) {
        return { connection: again, credentials };
      }
    }
    throw refreshFailed(outcome.failure, identity, outcome.cause);
  }

  /** Loads the provider app and its client; returns the call that refreshes given credentials. */
  private async prepare(connection: ConnectionWithCredentials): Promise<(current: OAuth2Credentials) => Promise<OAuth2Credentials>> {
    const app = await loadProviderApp(this.options.configs, this.options.catalog, connection.providerConfigKey);
    const client = await oauth2ClientFor(app, connection.connectionConfig, this.options.providerTimeoutSeconds, 'refresh', this.options.urlPolicy);
    return async (current) => {
      if (!current.refreshToken) {
        throw new RefreshProblem('no_refresh_token', 'The provider issued no refresh token for this connection; the end user must connect again.');
      }
      const response = await client.refresh(current.refreshToken, app.template.refreshParams);
      const refreshed = credentialsFromTokenResponse(response, {
        now: this.now(),
        requestedScopes: current.scopes,
        scopeSeparator: app.template.scopeSeparator,
        accessTokenPath: app.template.accessTokenPath,
      });
      // Providers that do not rotate send no new refresh token: the old one stays valid.
      return { ...refreshed, refreshToken: refreshed.refreshToken ?? current.refreshToken };
    };
  }

  /**
   * Within the cooldown after a failed refresh, the provider is left alone: the
   * stored tokens when the failure was transient and they still work, else
   * refresh_failed. Null when there is no cooldown to respect.
   */
  private duringCooldown(connection: ConnectionWithCredentials, credentials: Credentials, identity: Record<string, string>): FreshConnection | null {
    const failedAt = connection.lastRefreshFailureAt;
    if (!failedAt) return null;
    const cooldown = (this.options.failureCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS) * 1000;
    const since = this.now().getTime() - failedAt.getTime();
    if (since >= cooldown) return null;
    this.observer.refreshed('cooldown', connection.provider);
    const failure = { code: connection.lastRefreshFailureCode ?? 'refresh_failed', description: connection.lastRefreshFailureDescription };
    if (isTransient(failure.code) && this.stillValid(credentials)) return { connection, credentials };
    const retryIn = Math.ceil((cooldown - since) / 1000);
    throw refreshFailed(failure, { ...identity, retryInSeconds: String(retryIn) });
  }

  /** Not expired yet (with a few seconds to spare for the caller's API call). */
  private stillValid(credentials: Credentials): boolean {
    return credentials.expiresAt === null || credentials.expiresAt.getTime() - this.now().getTime() > STILL_VALID_MARGIN_MS;
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/**
 * Whether credentials expire within the refresh window, which is never more
 * than half their lifetime: a 5-minute token refreshed 15 minutes early would
 * be refreshed on every read. Credentials without an expiry are never due.
 */
export function refreshDue(credentials: Pick<OAuth2Credentials, 'expiresAt' | 'obtainedAt'>, windowSeconds: number, now: Date): boolean {
  if (!credentials.expiresAt) return false;
  const lifetime = credentials.expiresAt.getTime() - credentials.obtainedAt.getTime();
  const window = lifetime > 0 ? Math.min(windowSeconds * 1000, lifetime / 2) : windowSeconds * 1000;
  return credentials.expiresAt.getTime() - now.getTime() <= window;
}

/** A refresh that cannot even be attempted (no refresh token, ...). */
class RefreshProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function describeFailure(error: unknown): { code: string; description: string | null } {
  if (error instanceof ProviderCallError) {
    if (error.failure === 'rejected') return { code: error.providerCode ?? 'provider_error', description: error.providerDescription ? clip(error.providerDescription) : null };
    if (error.failure === 'timeout') return { code: 'provider_timeout', description: 'The provider did not answer in time.' };
    if (error.failure === 'unreachable') return { code: 'provider_unreachable', description: 'The provider could not be reached.' };
    return { code: 'bad_response', description: 'The provider gave an unusable answer.' };
  }
  if (error instanceof RefreshProblem) return { code: error.code, description: error.message };
  if (error instanceof ConnectionParamError) return { code: 'missing_connection_config_param', description: error.message };
  if (error instanceof AppError) return { code: error.code, description: error.message };
  throw error;
}

function refreshFailed(failure: { code: string; description: string | null }, details: Record<string, string>, cause?: unknown): AppError {
  const said = failure.description ? `: ${failure.description}` : '';
  return new AppError('refresh_failed', `Refreshing the credentials failed (${failure.code})${said}`, {
    ...details,
    providerError: failure.code,
    ...(failure.description ? { providerErrorDescription: failure.description } : {}),
  }, { cause });
}

