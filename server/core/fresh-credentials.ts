// Fresh credentials: the read in front of every API call our users make.
// Credentials in their refresh window are refreshed exactly once, however many
// readers and instances ask at the same time (the refresh engine's claim), and a
// reader waits for that refresh only so long: then it gets the still-valid
// token, or refresh_pending when there is none, while the refresh goes on.
// Through a provider outage a token is served until it actually expires.
import type { ConnectionStore, ConnectionWithCredentials } from '../db/connection-store.js';
import type { RefreshSpool } from '../db/refresh-spool.js';
import { unknownConnection } from './connections.js';
import { parseCredentials, refreshable } from './credentials.js';
import { AppError } from './errors.js';
import { checkConnectionIdentity } from './identifiers.js';
import { silentObserver, type CoreObserver } from './observer.js';
import { isTransient, type FreshConnection, type RefreshEngine, type RefreshFailureRecord } from './refresh-engine.js';
import { stillValid } from './refresh-timing.js';

export interface FreshCredentialsOptions {
  connections: ConnectionStore;
  engine: RefreshEngine;
  spool: RefreshSpool;
  /** How long a reader waits for a refresh before it gets the still-valid token (or refresh_pending). */
  readerWaitMs: number;
  observer?: CoreObserver;
  now?: () => Date;
}

export type { ConnectionWithCredentials, FreshConnection };

export class FreshCredentials {
  /** One wait per connection in this process: 50 readers of one expired token share it. */
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
    // OAuth 1.0a tokens, API keys and Basic credentials neither expire nor refresh.
    if (!refreshable(credentials)) return { connection, credentials };
    if (!forceRefresh && !this.options.engine.isDue(credentials, connection.provider)) return { connection, credentials };

    const key = `${providerConfigKey}\u0000${connectionId}`;
    const flight = this.flights.get(key);
    if (flight) return flight;
    const started = this.refreshed(connection, forceRefresh).finally(() => this.flights.delete(key));
    this.flights.set(key, started);
    return started;
  }

  private async refreshed(read: ConnectionWithCredentials, forceRefresh: boolean): Promise<FreshConnection> {
    const identity = { providerConfigKey: read.providerConfigKey, connectionId: read.connectionId };
    const credentials = parseCredentials(read.credentials);
    // An answer this process holds for the database: newer than the row.
    const spooled = this.options.spool.pendingFor(read.id);
    if (spooled) return { connection: { ...read, credentials: spooled.credentials }, credentials: parseCredentials(spooled.credentials) };
    // A failing connection is left alone until its next attempt (forced or not: a provider is not hammered),
    // and one that needs its user until it is connected again.
    const resting = read.health === 'NEEDS_REAUTH' || (read.nextRefreshAttemptAt !== null && read.nextRefreshAttemptAt > this.now());
    if (resting) {
      this.observer.refreshed('cooldown', read.provider);
      const failure = { code: read.healthCode ?? read.lastRefreshFailureCode ?? 'refresh_failed', description: read.healthDescription ?? read.lastRefreshFailureDescription };
      if (read.health !== 'NEEDS_REAUTH' && isTransient(failure.code) && stillValid(credentials, this.now())) return { connection: read, credentials };
      const details: Record<string, string> = { ...identity, health: read.health };
      if (read.nextRefreshAttemptAt) details.retryInSeconds = String(Math.max(1, Math.ceil((read.nextRefreshAttemptAt.getTime() - this.now().getTime()) / 1000)));
      throw refreshFailed(failure, details);
    }
    const until = Date.now() + this.options.readerWaitMs;
    const refresh = this.options.engine.refresh(read, forceRefresh, until);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), Math.max(0, until - Date.now()));
    });
    const outcome = await Promise.race([refresh, deadline]).finally(() => clearTimeout(timer));
    if (outcome === 'pending') {
      // The refresh goes on (its answer will be stored); this reader has waited enough.
      refresh.catch(() => undefined);
      if (stillValid(credentials, this.now())) return { connection: read, credentials };
      throw new AppError('refresh_pending', 'The provider has not answered the refresh yet. Try again in a few seconds.', identity);
    }
    if (outcome.ok) return outcome.fresh;
    // A provider outage must not take away a token that still works; the reply says how the connection is now.
    if (isTransient(outcome.failure.code) && stillValid(credentials, this.now())) {
      return { connection: { ...outcome.connection, credentials: read.credentials }, credentials };
    }
    throw refreshFailed(outcome.failure, { ...identity, health: outcome.health }, outcome.cause);
  }

  private get observer(): CoreObserver {
    return this.options.observer ?? silentObserver;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

function refreshFailed(failure: RefreshFailureRecord, details: Record<string, string>, cause?: unknown): AppError {
  const said = failure.description ? `: ${failure.description}` : '';
  return new AppError('refresh_failed', `Refreshing the credentials failed (${failure.code})${said}`, {
    ...details,
    providerError: failure.code,
    ...(failure.description ? { providerErrorDescription: failure.description } : {}),
  }, { cause });
}
