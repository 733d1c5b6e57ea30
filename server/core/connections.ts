// Connections as listed and read without their credentials, and deleted.
import { HEALTH_STATUSES, type ConnectionHealthStatus, type ConnectionRecord, type ConnectionStore, type ConnectionSummaryRecord, type ListConnectionsOptions } from '../db/connection-store.js';
import { AppError, invalidInput } from './errors.js';
import { checkConnectionIdentity, checkIdentifier } from './identifiers.js';

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
  first?: number;
  after?: string;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
const CURSOR_PREFIX = 'connection:';

export class Connections {
  constructor(private readonly store: ConnectionStore) {}

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
    const first = options.first ?? DEFAULT_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw invalidInput('first', `must be between 1 and ${MAX_PAGE}`);
    const records = await read({
      providerConfigKey: options.providerConfigKey,
      health: options.health,
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

  /** How many connections are in each health (the unhealthy exactly, the healthy estimated: see the store). */
  countByHealth(): Promise<Record<ConnectionHealthStatus, number>> {
    return this.store.countByHealth();
  }

  async delete(providerConfigKey: string, connectionId: string): Promise<void> {
    checkConnectionIdentity(providerConfigKey, connectionId);
    if (!(await this.store.delete(providerConfigKey, connectionId))) throw unknownConnection(providerConfigKey, connectionId);
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
