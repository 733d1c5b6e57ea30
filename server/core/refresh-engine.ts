// One refresh, end to end: claim the connection's row for a lease (a short
// statement, committed), call the provider holding no database connection
// (the lease kept alive meanwhile), and write the answer only over the
// credentials version that was claimed. An answer is awaited however long the
// provider takes, and one the database cannot take is spooled, never dropped.
// A failure becomes the connection's health: backoff while it may pass,
// NEEDS_REAUTH when only the end user can fix it.
import type { ConnectionHealthStatus, ConnectionStore, ConnectionWithCredentials, HealthChange, RefreshClaim, RefreshFailure } from '../db/connection-store.js';
import { databaseFailure } from '../db/failures.js';
import type { ProviderConfigStore } from '../db/provider-config-store.js';
import type { RefreshSpool, SpooledAnswer } from '../db/refresh-spool.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { ConnectionParamError } from '../providers/connection-params.js';
import { ProviderCallError } from '../providers/oauth2-client.js';
import type { ProviderUrlPolicy } from '../providers/url-policy.js';
import { credentialsFromTokenResponse, parseCredentials, refreshable, serializeCredentials, type Credentials, type OAuth2Credentials, type RenewableCredentials } from './credentials.js';
import { AppError } from './errors.js';
import { clip } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { clientCredentialsToken, installationToken } from './machine-tokens.js';
import { oauth2ClientFor, ProviderApps, type ProviderApp } from './provider-apps.js';
import { backoffMs, DEFAULT_WINDOW_SECONDS, refreshDue, refreshDueAt } from './refresh-timing.js';

export interface RefreshEngineOptions {
  configs: ProviderConfigStore;
  connections: ConnectionStore;
  catalog: ProviderCatalog;
  urlPolicy: ProviderUrlPolicy;
  spool: RefreshSpool;
  /** How long a provider may take to answer a refresh before its outcome counts as unknown. */
  answerTimeoutSeconds: number;
  /** How long a claim lives without being renewed (its holder renews it every third of this). */
  leaseSeconds: number;
  /** The first wait after a failure, doubling up to `backoffMaxSeconds`. */
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  /** A connection whose refreshes have failed this long needs its user. */
  needsReauthAfterSeconds: number;
  refreshWindowSeconds?: number;
  observer?: CoreObserver;
  now?: () => Date;
}

export interface FreshConnection {
  connection: ConnectionWithCredentials;
  credentials: Credentials;
}

/** What a failed refresh records on the connection (the store's shape). */
export type RefreshFailureRecord = RefreshFailure;

/** What a refresh came to: fresh credentials, or a failure and the health it left. */
export type RefreshOutcome =
  | { ok: true; fresh: FreshConnection }
  | {
      ok: false;
      failure: RefreshFailureRecord;
      health: ConnectionHealthStatus;
      /** The connection as the failure left it (its health recorded), credentials unchanged. */
      connection: ConnectionWithCredentials;
      cause?: unknown;
    };

// Failures that say nothing about the grant: the provider was down, slow or confused.
const TRANSIENT_FAILURES = new Set(['provider_timeout', 'provider_unreachable', 'bad_response', 'server_error', 'temporarily_unavailable', 'database_unavailable']);
// Failures only the end user can fix by connecting again (a GitHub App: by installing it again).
const REAUTH_FAILURES = new Set(['invalid_grant', 'no_refresh_token', 'installation_gone']);
// A waiting reader looks at the row after 100 ms, then less and less often (×1.5, at most every second):
// most refreshes end within a provider's few hundred milliseconds, and thousands of waiters must not flood the pool.
const WAIT_POLL_FIRST_MS = 100;
const WAIT_POLL_MAX_MS = 1_000;

export function isTransient(code: string): boolean {
  return TRANSIENT_FAILURES.has(code);
}

export class RefreshEngine {
  /** Refreshes this process runs, by connection row: readers join them instead of polling the database. */
  private readonly running = new Map<string, Promise<RefreshOutcome>>();
  /** Provider configs by key, as of the updated_at every claim reads. */
  private readonly apps: ProviderApps;

  constructor(private readonly options: RefreshEngineOptions) {
    this.apps = new ProviderApps(options.configs, options.catalog);
  }

  /**
   * Refreshes the connection read as `read`: claims it and runs the refresh
   * (to its end, however long the provider takes), or waits for the instance
   * that holds the claim until `waitUntil` ('pending' then).
   */
  async refresh(read: ConnectionWithCredentials, force: boolean, waitUntil: number): Promise<RefreshOutcome | 'pending'> {
    for (;;) {
      const mine = this.running.get(read.id);
      if (mine) return mine;
      const claim = await this.options.connections.claimRefresh(read.id, this.options.leaseSeconds);
      if (claim) {
        const current = claim.connection;
        // Refreshed (or re-authorized) since this reader's read: those credentials are the fresh ones.
        if (current.credentialsVersion !== read.credentialsVersion && (force || !this.due(current))) {
          await this.options.connections.releaseClaim(current.id, claim.claim);
          return { ok: true, fresh: { connection: current, credentials: parseCredentials(current.credentials) } };
        }
        return this.runClaimed(claim);
      }
      const waited = await this.waitForOther(read, waitUntil);
      if (waited !== 'claim-free') return waited;
    }
  }

  /** Runs a refresh whose claim is held (the reader's, or the scheduler's). */
  runClaimed(claim: RefreshClaim): Promise<RefreshOutcome> {
    const id = claim.connection.id;
    const existing = this.running.get(id);
    if (existing) return existing;
    const run = this.run(claim).finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }

  /** Refreshes under way in this process. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Waits for every refresh under way (a graceful stop). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async run({ connection, claim, tookOver, refreshFailures, configUpdatedAt }: RefreshClaim): Promise<RefreshOutcome> {
    const identity = { providerConfigKey: connection.providerConfigKey, connectionId: connection.connectionId };
    const current = parseCredentials(connection.credentials);
    if (!refreshable(current)) {
      await this.options.connections.releaseClaim(connection.id, claim);
      return { ok: true, fresh: { connection, credentials: current } };
    }
    const heartbeat = setInterval(() => {
      this.options.connections.extendClaim(connection.id, claim, this.options.leaseSeconds).catch(() => undefined);
    }, (this.options.leaseSeconds * 1000) / 3);
    heartbeat.unref();
    let refreshed: RenewableCredentials;
    try {
      refreshed = await this.callProvider(connection, current, configUpdatedAt);
    } catch (error) {
      clearInterval(heartbeat);
      return this.failed(connection, claim, tookOver, refreshFailures, error, identity);
    }
    clearInterval(heartbeat);
    this.observer.refreshed('success', connection.provider);
    const answer: SpooledAnswer = {
      rowId: connection.id,
      ...identity,
      claimedVersion: connection.credentialsVersion,
      credentials: serializeCredentials(refreshed),
      expiresAt: refreshed.expiresAt,
      refreshDueAt: this.dueAt(refreshed, connection.provider),
    };
    try {
      const written = await this.options.connections.writeRefreshed(connection, answer.claimedVersion, answer);
      if (written) return { ok: true, fresh: { connection: written, credentials: refreshed } };
      // Re-authorized or deleted while the provider answered: what is stored now stands.
      return this.stored(connection, identity);
    } catch (error) {
      if (databaseFailure(error) !== 'unavailable') {
        await this.options.connections.releaseClaim(connection.id, claim).catch(() => undefined);
        throw error;
      }
      // The provider has rotated the token: this answer is the only copy. Kept, and served from memory meanwhile.
      await this.options.spool.add(answer);
      return { ok: true, fresh: { connection: { ...connection, credentials: answer.credentials }, credentials: refreshed } };
    }
  }

  /**
   * The call to the provider, awaited however long it takes (up to the answer
   * timeout): a refresh, or for the tokens obtained without an end user, a new one.
   */
  private async callProvider(connection: ConnectionWithCredentials, current: RenewableCredentials, configUpdatedAt: number): Promise<RenewableCredentials> {
    const app = await this.app(connection.providerConfigKey, configUpdatedAt);
    if (current.type !== 'OAUTH2') {
      const options = { timeoutSeconds: this.options.answerTimeoutSeconds, policy: this.options.urlPolicy, now: this.now() };
      return current.type === 'APP' ? installationToken(app, connection.connectionConfig, options) : clientCredentialsToken(app, connection.connectionConfig, options);
    }
    return this.refreshOAuth2(connection, current, app);
  }

  private async refreshOAuth2(connection: ConnectionWithCredentials, current: OAuth2Credentials, app: ProviderApp): Promise<OAuth2Credentials> {
    if (!current.refreshToken) {
      throw new RefreshProblem('no_refresh_token', 'The provider issued no refresh token for this connection; the end user must connect again.');
    }
    const client = await oauth2ClientFor(app, connection.connectionConfig, this.options.answerTimeoutSeconds, 'refresh', this.options.urlPolicy);
    const response = await client.refresh(current.refreshToken, app.template.refreshParams);
    const refreshed = credentialsFromTokenResponse(response, {
      now: this.now(),
      requestedScopes: current.scopes,
      scopeSeparator: app.template.scopeSeparator,
      accessTokenPath: app.template.accessTokenPath,
    });
    // Providers that do not rotate send no new refresh token: the old one stays valid.
    return { ...refreshed, refreshToken: refreshed.refreshToken ?? current.refreshToken };
  }

  private async failed(
    connection: ConnectionWithCredentials,
    claim: string,
    tookOver: boolean,
    refreshFailures: number,
    error: unknown,
    identity: { providerConfigKey: string; connectionId: string },
  ): Promise<RefreshOutcome> {
    // Something that is not a provider's answer (a sealed value refused, a bug) is recorded like a failure that
    // may pass, so that the claim goes and the next attempt waits its backoff; then it reaches the caller as it is.
    const unexpected = describeFailure(error) === null;
    const failure = describeFailure(error) ?? { code: 'internal_error', description: 'An unexpected error occurred.' };
    this.observer.refreshed('failure', connection.provider);
    this.observer.refreshFailed({ ...identity, provider: connection.provider, code: failure.code });
    const health = this.healthAfter(connection, failure, tookOver, refreshFailures + 1);
    // The connection as the failure left it; as it was when the database could not record the failure.
    let after: ConnectionWithCredentials = connection;
    try {
      const recorded = await this.options.connections.recordRefreshFailure(connection.id, claim, connection.credentialsVersion, failure, health);
      // Not recorded: the credentials changed meanwhile (a refresh elsewhere, a re-authorization), and they stand.
      if (!recorded) return this.stored(connection, identity);
      after = { ...recorded, credentials: connection.credentials };
    } catch (recordError) {
      if (databaseFailure(recordError) !== 'unavailable') throw recordError;
    }
    if (unexpected) throw error;
    return {
      ok: false,
      failure: health.status === 'NEEDS_REAUTH' && health.code ? { code: health.code, description: health.description } : failure,
      health: health.status,
      connection: after,
      cause: error,
    };
  }

  /**
   * The health a failure leaves: NEEDS_REAUTH when the grant is gone (named
   * refresh_token_lost when a claim whose holder died came before, since that
   * call may have rotated the token) or when refreshes have failed for too
   * long; else REFRESH_FAILING, retried after a backoff.
   */
  private healthAfter(connection: ConnectionWithCredentials, failure: RefreshFailureRecord, tookOver: boolean, failures: number): HealthChange {
    const now = this.now();
    if (REAUTH_FAILURES.has(failure.code)) {
      if (tookOver && failure.code === 'invalid_grant') {
        return {
          status: 'NEEDS_REAUTH',
          code: 'refresh_token_lost',
          description: 'A refresh was interrupted before its answer could be stored, and the provider no longer accepts the previous refresh token: the end user must connect again.',
          nextAttemptAt: null,
        };
      }
      return { status: 'NEEDS_REAUTH', code: failure.code, description: failure.description, nextAttemptAt: null };
    }
    const failingSince = connection.health === 'REFRESH_FAILING' ? connection.healthSince : now;
    if (now.getTime() - failingSince.getTime() >= this.options.needsReauthAfterSeconds * 1000) {
      return {
        status: 'NEEDS_REAUTH',
        code: 'refresh_failing',
        description: `Refreshes have failed since ${failingSince.toISOString()} (last: ${failure.code}): the end user must connect again.`,
        nextAttemptAt: null,
      };
    }
    return {
      status: 'REFRESH_FAILING',
      code: failure.code,
      description: failure.description,
      nextAttemptAt: new Date(now.getTime() + backoffMs(failures, this.options.backoffBaseSeconds, this.options.backoffMaxSeconds)),
    };
  }

  private app(providerConfigKey: string, updatedAt: number): Promise<ProviderApp> {
    return this.apps.get(providerConfigKey, updatedAt);
  }

  /** Waits for another instance's claim: its result, 'pending' at `until`, or 'claim-free' when the claim ended without one. */
  private async waitForOther(read: ConnectionWithCredentials, until: number): Promise<RefreshOutcome | 'pending' | 'claim-free'> {
    let poll = WAIT_POLL_FIRST_MS;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(poll, Math.max(1, until - Date.now()))));
      poll = Math.min(poll * 1.5, WAIT_POLL_MAX_MS);
      const state = await this.options.connections.refreshState(read.id);
      if (!state) throw unknownConnectionError(read);
      if (state.credentialsVersion !== read.credentialsVersion) {
        return this.stored(read, { providerConfigKey: read.providerConfigKey, connectionId: read.connectionId });
      }
      if (!state.claimLive) {
        // Released without new credentials: a failure (its health is on the row), or a holder that died.
        const again = await this.options.connections.getWithCredentials(read.providerConfigKey, read.connectionId);
        if (!again) throw unknownConnectionError(read);
        if (again.health !== 'HEALTHY' && again.nextRefreshAttemptAt && again.nextRefreshAttemptAt > this.now()) {
          return { ok: false, failure: { code: again.lastRefreshFailureCode ?? 'refresh_failed', description: again.lastRefreshFailureDescription }, health: again.health, connection: again };
        }
        if (again.health === 'NEEDS_REAUTH') {
          return { ok: false, failure: { code: again.healthCode ?? 'refresh_failed', description: again.healthDescription }, health: again.health, connection: again };
        }
        return 'claim-free';
      }
    }
    return 'pending';
  }

  private async stored(read: Pick<ConnectionWithCredentials, 'providerConfigKey' | 'connectionId'>, identity: { providerConfigKey: string; connectionId: string }): Promise<RefreshOutcome> {
    const now = await this.options.connections.getWithCredentials(read.providerConfigKey, read.connectionId);
    if (!now) throw new AppError('unknown_connection', `No connection "${identity.connectionId}" for provider config "${identity.providerConfigKey}".`, identity);
    return { ok: true, fresh: { connection: now, credentials: parseCredentials(now.credentials) } };
  }

  private due(connection: ConnectionWithCredentials): boolean {
    const credentials = parseCredentials(connection.credentials);
    return refreshable(credentials) && this.isDue(credentials, connection.provider);
  }

  /** Whether credentials are in their refresh window (a reader then refreshes them). */
  isDue(credentials: RenewableCredentials, provider: string): boolean {
    const template = this.options.catalog.get(provider);
    return refreshDue(credentials, template?.refreshWindowSeconds ?? this.options.refreshWindowSeconds ?? DEFAULT_WINDOW_SECONDS, this.now());
  }

  /** When the scheduler should refresh credentials of this provider's (stored with them). */
  dueAt(credentials: Pick<RenewableCredentials, 'type' | 'expiresAt' | 'obtainedAt'>, provider: string): Date | null {
    const template = this.options.catalog.get(provider);
    // Only OAuth 2 refresh tokens idle-expire: the others are obtained anew from the client's own credentials.
    const idleDays = credentials.type === 'OAUTH2' ? (template?.refreshTokenIdleDays ?? null) : null;
    return refreshDueAt(credentials, template?.refreshWindowSeconds ?? this.options.refreshWindowSeconds ?? DEFAULT_WINDOW_SECONDS, idleDays);
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function unknownConnectionError(read: Pick<ConnectionWithCredentials, 'providerConfigKey' | 'connectionId'>): AppError {
  return new AppError('unknown_connection', `No connection "${read.connectionId}" for provider config "${read.providerConfigKey}".`, {
    providerConfigKey: read.providerConfigKey,
    connectionId: read.connectionId,
  });
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

/** What a failed refresh records; null for an error that says nothing about the provider (a bug, a refused sealed value). */
function describeFailure(error: unknown): RefreshFailureRecord | null {
  if (error instanceof ProviderCallError) {
    if (error.failure === 'rejected') return { code: error.providerCode ?? 'provider_error', description: error.providerDescription ? clip(error.providerDescription) : null };
    if (error.failure === 'timeout') return { code: 'provider_timeout', description: 'The provider did not answer in time.' };
    if (error.failure === 'unreachable') return { code: 'provider_unreachable', description: 'The provider could not be reached.' };
    return { code: 'bad_response', description: 'The provider gave an unusable answer.' };
  }
  if (error instanceof RefreshProblem) return { code: error.code, description: error.message };
  if (error instanceof ConnectionParamError) return { code: 'missing_connection_config_param', description: error.message };
  if (error instanceof AppError) return { code: error.code, description: error.message };
  if (databaseFailure(error) === 'unavailable') return { code: 'database_unavailable', description: 'The database did not answer.' };
  return null;
}
