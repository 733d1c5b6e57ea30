// Connections as listed and read without their credentials, and deleted
// (their grant revoked at the provider first, when asked).
import { HEALTH_STATUSES, type ConnectionHealthStatus, type EndUserColumns, type ConnectionRecord, type ConnectionStore, type ConnectionSummaryRecord, type ListConnectionsOptions } from '../db/connection-store.js';
import { AppError, invalidInput } from './errors.js';
import { checkConnectionIdentity, checkIdentifier } from './identifiers.js';
import { revocationError, type GrantRevocation, type RevocationFailure } from './revocation.js';

/** A connection as the faces show it: the stored record, declared once in the store. */
export type Connection = ConnectionRecord;

/** What a list entry shows (the REST list). */
export interface ConnectionSummary {
  id: string;
  providerConfigKey: string;
  connectionId: string;
  /** ISO 8601 in UTC, to the millisecond. */
  createdAt: string;
}

export interface Page<Node> {
  nodes: Node[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export type ConnectionPage = Page<Connection>;

export { HEALTH_STATUSES, type ConnectionHealthStatus };

export interface ListOptions {
  providerConfigKey?: string;
  /** Only the connections in this health (e.g. NEEDS_REAUTH: those whose end user must connect again). */
  health?: ConnectionHealthStatus;
  /** Connection id, or end user id, email or name, by prefix (case-insensitive); blank: no filter. */
  search?: string;
  first?: number;
  after?: string;
}

export interface DeleteOptions {
  /** Revoke the grant at the provider first (RFC 7009); a failure keeps the connection unless `force`. */
  revoke?: boolean;
  /** With revoke: delete even when the revocation failed or is unsupported (the failure is reported). */
  force?: boolean;
}

export interface Deletion {
  deleted: true;
  revoked: boolean;
  /** Why revocation was asked for and did not happen (a forced deletion); null otherwise. */
  revocationError: RevocationFailure | null;
}

/** Revocations of tokens rotated meanwhile, at most (each round is one provider call). */
const MAX_REVOCATION_ROUNDS = 3;

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
const CURSOR_PREFIX = 'connection:';

export class Connections {
  constructor(
    private readonly store: ConnectionStore,
    private readonly revocation: GrantRevocation,
  ) {}

  async list(options: ListOptions = {}): Promise<ConnectionPage> {
    return this.page(options, (query) => this.store.list(query), (record): Connection => record);
  }

  /** The same pages as list(), each connection as a list entry shows it. */
  async listSummaries(options: ListOptions = {}): Promise<Page<ConnectionSummary>> {
    // A summary record is already what a list entry shows: passed on as it is.
    return this.page(options, (query) => this.store.listSummaries(query), (record: ConnectionSummaryRecord): ConnectionSummary => record);
  }

  private async page<Stored extends { id: string }, Node>(
    options: ListOptions,
    read: (query: ListConnectionsOptions) => Promise<readonly Stored[]>,
    toNode: (record: Stored) => Node,
  ): Promise<Page<Node>> {
    if (options.providerConfigKey !== undefined) checkIdentifier('providerConfigKey', options.providerConfigKey);
    if (options.health !== undefined && !HEALTH_STATUSES.includes(options.health)) throw invalidInput('health', `must be one of ${HEALTH_STATUSES.join(', ')}`);
    // The same bounds as the identifiers it is matched against: longer or with control characters, it could match nothing.
    const search = options.search?.trim() || undefined;
    if (search !== undefined) checkIdentifier('search', search);
    const first = options.first ?? DEFAULT_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw invalidInput('first', `must be between 1 and ${MAX_PAGE}`);
    const records = await read({
      providerConfigKey: options.providerConfigKey,
      health: options.health,
      search,
      limit: first + 1,
      beforeId: options.after === undefined ? undefined : decodeCursor(options.after),
    });
    const page = records.slice(0, first);
    const last = page.at(-1);
    return {
      nodes: page.map(toNode),
      endCursor: last ? encodeCursor(last.id) : null,
      hasNextPage: records.length > first,
    };
  }

  /** How many connections the provider config has: what deleting it deletes with it. */
  countFor(providerConfigKey: string): Promise<number> {
    checkIdentifier('providerConfigKey', providerConfigKey);
    return this.store.countFor(providerConfigKey);
  }

  /** The end user a connection's connect session named, for a row that was read without it (the token read's). */
  endUser(providerConfigKey: string, connectionId: string): Promise<EndUserColumns | null> {
    return this.store.endUserOf(providerConfigKey, connectionId);
  }

  /** How many connections are in each health (the unhealthy exactly, the healthy estimated: see the store). */
  countByHealth(): Promise<Record<ConnectionHealthStatus, number>> {
    return this.store.countByHealth();
  }

  /**
   * Deletes a connection; with `revoke`, after its provider revoked the grant.
   * A refresh may rotate the tokens while the revocation is under way, and not
   * every provider revokes the whole grant with the token it is sent: the
   * stored tokens are read again after each revocation, and revoked again if
   * they changed, before the row is deleted.
   */
  async delete(providerConfigKey: string, connectionId: string, options: DeleteOptions = {}): Promise<Deletion> {
    checkConnectionIdentity(providerConfigKey, connectionId);
    const failure = options.revoke ? await this.revokeStoredTokens(providerConfigKey, connectionId) : null;
    if (failure && !options.force) throw revocationError(failure, { providerConfigKey, connectionId });
    if (!(await this.store.delete(providerConfigKey, connectionId))) throw unknownConnection(providerConfigKey, connectionId);
    return { deleted: true, revoked: Boolean(options.revoke) && failure === null, revocationError: failure };
  }

  /** Null once the provider revoked what is stored now; the first failure otherwise. */
  private async revokeStoredTokens(providerConfigKey: string, connectionId: string): Promise<RevocationFailure | null> {
    let revokedCredentials: string | null = null;
    for (let round = 0; round < MAX_REVOCATION_ROUNDS; round++) {
      const connection = await this.store.getWithCredentials(providerConfigKey, connectionId);
      if (!connection) throw unknownConnection(providerConfigKey, connectionId);
      if (connection.credentials === revokedCredentials) return null;
      const outcome = await this.revocation.revoke(connection);
      if (!outcome.revoked) return outcome.failure;
      revokedCredentials = connection.credentials;
    }
    // Still rotating after every round: each token read was revoked; the row goes now.
    return null;
  }
}

export function unknownConnection(providerConfigKey: string, connectionId: string): AppError {
  return new AppError(
    'unknown_connection',
    `No connection "${connectionId}" for provider config "${providerConfigKey}".`,
    { providerConfigKey, connectionId },
  );
}



function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

function decodeCursor(cursor: string): bigint {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const digits = decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : '';
  if (cursor.length > 64 || !/^\d{1,19}$/.test(digits)) throw invalidInput('after', 'is not a cursor returned by this API');
  return BigInt(digits);
}
