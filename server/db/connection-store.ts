// The SQL of the connections table. Listing and reading a connection never
// selects its credentials; only the credential reads do.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { inTransaction, RowShapeError } from './pool.js';
import type { ReadConnections } from './read-connections.js';
import { SEALED, SecretBox } from './secret-box.js';
import { isoFromUtcText } from './timestamps.js';

/** A connection as every whole read returns it (the credentials only where asked for). */
export interface ConnectionRecord {
  /** The bigint id, as text (JavaScript numbers cannot hold every bigint). */
  id: string;
  providerConfigKey: string;
  connectionId: string;
  provider: string;
  connectionConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  lastRefreshSuccessAt: Date | null;
  lastRefreshFailureAt: Date | null;
  lastRefreshFailureCode: string | null;
  lastRefreshFailureDescription: string | null;
}

/** A connection with its serialized credentials: only for the credential reads. */
export type ConnectionWithCredentials = ConnectionRecord & { credentials: string };

type ColumnKind = 'text' | 'text?' | 'json' | 'instant' | 'instant?';

/**
 * The columns of a whole connection, declared once: each read's SQL is built
 * from this list, and each row it returns is checked against it (connectionRow)
 * before it leaves this module. The expiry is inside the credentials; the
 * expires_at column is there for queries over it.
 */
const CONNECTION_COLUMNS = [
  { table: 'c', column: 'id', text: true, name: 'id', kind: 'text' },
  { table: 'c', column: 'provider_config_key', name: 'providerConfigKey', kind: 'text' },
  { table: 'c', column: 'connection_id', name: 'connectionId', kind: 'text' },
  { table: 'p', column: 'provider', name: 'provider', kind: 'text' },
  { table: 'c', column: 'connection_config', name: 'connectionConfig', kind: 'json' },
  { table: 'c', column: 'metadata', name: 'metadata', kind: 'json' },
  { table: 'c', column: 'created_at', name: 'createdAt', kind: 'instant' },
  { table: 'c', column: 'updated_at', name: 'updatedAt', kind: 'instant' },
  { table: 'c', column: 'last_refresh_success_at', name: 'lastRefreshSuccessAt', kind: 'instant?' },
  { table: 'c', column: 'last_refresh_failure_at', name: 'lastRefreshFailureAt', kind: 'instant?' },
  { table: 'c', column: 'last_refresh_failure_code', name: 'lastRefreshFailureCode', kind: 'text?' },
  { table: 'c', column: 'last_refresh_failure_description', name: 'lastRefreshFailureDescription', kind: 'text?' },
] as const satisfies ReadonlyArray<Column & { name: keyof ConnectionRecord }>;

const CREDENTIALS_COLUMN_SQL: Column = { table: 'c', column: 'credentials', name: 'credentials', kind: 'text' };

/** `text`: read as text (the bigint id, which JavaScript numbers cannot hold). */
interface Column {
  table: 'c' | 'p';
  column: string;
  text?: true;
  name: string;
  kind: ColumnKind;
}

function selectList(columns: readonly Column[]): string {
  return columns.map((column) => `${column.table}.${column.column}${column.text ? '::text' : ''} AS "${column.name}"`).join(', ');
}

/**
 * The token read leaves out the key and the id it was given (each column costs
 * the driver some work per read, and this read is the one our users repeat).
 */
const ASKED_FOR = new Set(['providerConfigKey', 'connectionId']);
const HOT_COLUMNS: readonly Column[] = [...CONNECTION_COLUMNS.filter((column) => !ASKED_FOR.has(column.name)), CREDENTIALS_COLUMN_SQL];
const WITH_CREDENTIALS_COLUMNS: readonly Column[] = [...CONNECTION_COLUMNS, CREDENTIALS_COLUMN_SQL];

/** The same select list as slonik's fragment (built once). */
function slonikList(columns: readonly Column[]) {
  return sql.join(
    columns.map((column) => sql.fragment`${sql.identifier([column.table, column.column])}${column.text ? sql.fragment`::text` : sql.fragment``} AS ${sql.identifier([column.name])}`),
    sql.fragment`, `,
  );
}

const FROM = 'FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key';

/** Whether a value read is of the column's kind; timestamps come as Dates (read connections) or milliseconds (slonik). */
function ofKind(value: unknown, kind: ColumnKind): boolean {
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'text?':
      return value === null || typeof value === 'string';
    case 'json':
      return typeof value === 'object' && value !== null;
    case 'instant':
      return value instanceof Date || typeof value === 'number';
    case 'instant?':
      return value === null || value instanceof Date || typeof value === 'number';
  }
}

/** A row that connectionRow() has checked (the key and id may have been left out: `given`). */
type CheckedRow = Omit<ConnectionRecord, 'createdAt' | 'updatedAt' | 'lastRefreshSuccessAt' | 'lastRefreshFailureAt'> & {
  createdAt: Date | number;
  updatedAt: Date | number;
  lastRefreshSuccessAt: Date | number | null;
  lastRefreshFailureAt: Date | number | null;
};

const instant = (value: Date | number) => (typeof value === 'number' ? new Date(value) : value);
const maybeInstant = (value: Date | number | null) => (value === null ? null : instant(value));

/**
 * A row as its columns declare it, or an error that names the columns that do
 * not match (never their values, which may be secrets).
 */
function connectionRow(row: Record<string, unknown>, columns: readonly Column[], given: Partial<ConnectionRecord> = {}): ConnectionRecord {
  for (const column of columns) {
    if (!ofKind(row[column.name], column.kind)) {
      const wrong = columns.filter((each) => !ofKind(row[each.name], each.kind)).map((each) => each.name);
      throw new RowShapeError(`a connections row did not match its model (columns: ${wrong.join(', ')})`);
    }
  }
  const values = row as unknown as CheckedRow;
  return {
    id: values.id,
    providerConfigKey: given.providerConfigKey ?? values.providerConfigKey,
    connectionId: given.connectionId ?? values.connectionId,
    provider: values.provider,
    connectionConfig: values.connectionConfig,
    metadata: values.metadata,
    createdAt: instant(values.createdAt),
    updatedAt: instant(values.updatedAt),
    lastRefreshSuccessAt: maybeInstant(values.lastRefreshSuccessAt),
    lastRefreshFailureAt: maybeInstant(values.lastRefreshFailureAt),
    lastRefreshFailureCode: values.lastRefreshFailureCode,
    lastRefreshFailureDescription: values.lastRefreshFailureDescription,
  };
}

export interface RefreshFailure {
  code: string;
  description: string | null;
}

const IdRow = z.object({ id: z.bigint() });

export interface ConnectionValues {
  providerConfigKey: string;
  connectionId: string;
  /** Serialized credentials. */
  credentials: string;
  expiresAt: Date | null;
  connectionConfig: Record<string, string>;
  metadata: Record<string, unknown>;
}

export interface ListConnectionsOptions {
  providerConfigKey?: string;
  limit: number;
  /** Keyset cursor: only connections created before the one with this id. */
  beforeId?: bigint;
}

/**
 * The token read, the query in front of every API call of our users: a named
 * prepared statement (planned once per connection, not per read) on the shared,
 * pipelined read connections (read-connections.ts), without slonik's per-query
 * work; its row is checked by connectionRow() rather than by zod, for the same reason.
 */
const HOT_READ = `SELECT ${selectList(HOT_COLUMNS)} ${FROM} WHERE c.provider_config_key = $1 AND c.connection_id = $2`;

const LIST_ALL = `SELECT ${selectList(CONNECTION_COLUMNS)} ${FROM} WHERE ($1::bigint IS NULL OR c.id < $1) ORDER BY c.id DESC LIMIT $2`;
const LIST_BY_KEY = `SELECT ${selectList(CONNECTION_COLUMNS)} ${FROM}
  WHERE c.provider_config_key = $1 AND ($2::bigint IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3`;

const LOCKED_WITH_CREDENTIALS = slonikList(WITH_CREDENTIALS_COLUMNS);

// A list entry shows four columns (Nango 0.x's list entry), and a page of them
// is read as one text: a line per connection, its fields separated by tabs
// (config keys and connection ids hold no control characters, which a
// constraint guarantees). Read as rows, the driver decoded 400 small strings
// per page, and the objects it built for them were most of what the garbage
// collector had to copy; one text costs Postgres the same and this process
// about half (see the README's performance section). The date is UTC text that
// isoFromUtcText() turns into toISOString's form, cheaper than to_char().
const SUMMARY_LINE = `string_agg(
    c.id::text || E'\t' || c.provider_config_key || E'\t' || c.connection_id || E'\t' || (c.created_at AT TIME ZONE 'UTC')::text,
    E'\n' ORDER BY c.id DESC)`;
const SUMMARIES_ALL = `
  SELECT ${SUMMARY_LINE} FROM (
    SELECT c.id, c.provider_config_key, c.connection_id, c.created_at FROM connections c
    WHERE ($1::bigint IS NULL OR c.id < $1) ORDER BY c.id DESC LIMIT $2) c`;
const SUMMARIES_BY_KEY = `
  SELECT ${SUMMARY_LINE} FROM (
    SELECT c.id, c.provider_config_key, c.connection_id, c.created_at FROM connections c
    WHERE c.provider_config_key = $1 AND ($2::bigint IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3) c`;

/** A connection as a list entry shows it. */
export interface ConnectionSummaryRecord {
  /** The bigint id, as text. */
  id: string;
  providerConfigKey: string;
  connectionId: string;
  /** ISO 8601 in UTC, to the millisecond. */
  createdAt: string;
}

export class ConnectionStore {
  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox,
    /** For the token read and the list (see HOT_READ). */
    private readonly reads: ReadConnections,
  ) {}

  /**
   * Stores what a flow authorized: inserts, or (`replace`) replaces the
   * credentials of the existing (config key, connection id). With
   * `create-only`, an existing connection is left as it is and false returned.
   */
  async write(values: ConnectionValues, mode: 'replace' | 'create-only', executor: CommonQueryMethods = this.pool): Promise<boolean> {
    const conflict =
      mode === 'create-only'
        ? sql.fragment`DO NOTHING`
        : sql.fragment`DO UPDATE SET
          credentials = EXCLUDED.credentials,
          expires_at = EXCLUDED.expires_at,
          connection_config = EXCLUDED.connection_config,
          metadata = connections.metadata || EXCLUDED.metadata,
          updated_at = now()`;
    const written = await executor.maybeOne(sql.type(IdRow)`
        INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at, connection_config, metadata)
        VALUES (
          ${values.providerConfigKey}, ${values.connectionId}, ${this.box.seal(values.credentials, SEALED.credentials, values.providerConfigKey, values.connectionId)},
          ${values.expiresAt ? sql.timestamp(values.expiresAt) : null},
          ${sql.jsonb(values.connectionConfig)}, ${sql.jsonb(values.metadata as never)}
        )
        ON CONFLICT (provider_config_key, connection_id) ${conflict}
        RETURNING id
    `);
    return written !== null;
  }

  async exists(providerConfigKey: string, connectionId: string): Promise<boolean> {
    const row = await this.pool.maybeOne(sql.type(IdRow)`
      SELECT id FROM connections WHERE provider_config_key = ${providerConfigKey} AND connection_id = ${connectionId}
    `);
    return row !== null;
  }

  /** One query: the connection, its credentials and refresh record. */
  async getWithCredentials(providerConfigKey: string, connectionId: string): Promise<ConnectionWithCredentials | null> {
    const { rows } = await this.reads.query<Record<string, unknown>>({
      name: 'connection-with-credentials',
      text: HOT_READ,
      values: [providerConfigKey, connectionId],
    });
    const row = rows[0];
    if (!row) return null;
    // One object per read, the decrypted credentials added to it.
    const record = connectionRow(row, HOT_COLUMNS, { providerConfigKey, connectionId });
    // The row matched this key and id exactly (text equality), so they are its identity.
    return Object.assign(record, { credentials: this.box.open(row.credentials as string, SEALED.credentials, providerConfigKey, connectionId) });
  }

  /**
   * Inside a transaction: re-reads the connection and holds its row lock until
   * commit, so that one refresh at a time happens for it across all instances.
   */
  async lockWithCredentials(transaction: CommonQueryMethods, id: string): Promise<ConnectionWithCredentials | null> {
    const row: Record<string, unknown> | null = await transaction.maybeOne(sql.unsafe`
      SELECT ${LOCKED_WITH_CREDENTIALS} FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key
      WHERE c.id = ${id}::bigint
      FOR UPDATE OF c
    `);
    if (!row) return null;
    const record = connectionRow(row, WITH_CREDENTIALS_COLUMNS);
    return Object.assign(record, { credentials: this.box.open(row.credentials as string, SEALED.credentials, record.providerConfigKey, record.connectionId) });
  }

  /** `row`: the locked connection, whose identity the new credentials are sealed for. */
  async saveRefreshed(
    connection: CommonQueryMethods,
    row: Pick<ConnectionRecord, 'id' | 'providerConfigKey' | 'connectionId'>,
    credentials: string,
    expiresAt: Date | null,
  ): Promise<void> {
    await connection.query(sql.unsafe`
      UPDATE connections SET
        credentials = ${this.box.seal(credentials, SEALED.credentials, row.providerConfigKey, row.connectionId)},
        expires_at = ${expiresAt ? sql.timestamp(expiresAt) : null},
        last_refresh_success_at = now(),
        last_refresh_failure_at = NULL,
        last_refresh_failure_code = NULL,
        last_refresh_failure_description = NULL,
        updated_at = now()
      WHERE id = ${row.id}::bigint AND provider_config_key = ${row.providerConfigKey} AND connection_id = ${row.connectionId}
    `);
  }

  async recordRefreshFailure(connection: CommonQueryMethods, id: string, failure: RefreshFailure): Promise<void> {
    await connection.query(sql.unsafe`
      UPDATE connections SET
        last_refresh_failure_at = now(),
        last_refresh_failure_code = ${failure.code},
        last_refresh_failure_description = ${failure.description}
      WHERE id = ${id}::bigint
    `);
  }

  /** Runs `work` in a transaction on one pooled connection. */
  transaction<T>(work: (transaction: CommonQueryMethods) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** Newest first (by id, which grows with creation). */
  async list(options: ListConnectionsOptions): Promise<readonly ConnectionRecord[]> {
    // Prepared too: a page of the list is the other read our users repeat.
    const rows = await this.page<Record<string, unknown>>(options, ['connections-page', LIST_ALL], ['connections-page-by-key', LIST_BY_KEY]);
    return rows.map((row) => connectionRow(row, CONNECTION_COLUMNS));
  }

  /** Like list(), with only what a list entry shows. */
  async listSummaries(options: ListConnectionsOptions): Promise<readonly ConnectionSummaryRecord[]> {
    const rows = await this.page<[string | null]>(
      options,
      ['connection-summary-lines', SUMMARIES_ALL],
      ['connection-summary-lines-by-key', SUMMARIES_BY_KEY],
      'array',
    );
    const lines = rows[0]?.[0];
    return typeof lines === 'string' ? summariesFromLines(lines) : [];
  }

  private async page<Row>(options: ListConnectionsOptions, all: [string, string], byKey: [string, string], rowMode?: 'array'): Promise<Row[]> {
    const filtered = options.providerConfigKey !== undefined;
    const [name, text] = filtered ? byKey : all;
    const values = [...(filtered ? [options.providerConfigKey] : []), options.beforeId?.toString() ?? null, options.limit];
    const { rows } = await this.reads.query(rowMode ? { name, text, values, rowMode } : { name, text, values });
    return rows as Row[];
  }

  async delete(providerConfigKey: string, connectionId: string): Promise<boolean> {
    const deleted = await this.pool.maybeOne(sql.type(IdRow)`
      DELETE FROM connections WHERE provider_config_key = ${providerConfigKey} AND connection_id = ${connectionId} RETURNING id
    `);
    return deleted !== null;
  }
}

/** The entries of a page read as SUMMARY_LINE. */
function summariesFromLines(text: string): ConnectionSummaryRecord[] {
  const summaries: ConnectionSummaryRecord[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    // The tabs before the key, the connection id and the date: three in the line, and no fourth.
    const key = text.indexOf('\t', start);
    const connectionId = text.indexOf('\t', key + 1);
    const createdAt = text.indexOf('\t', connectionId + 1);
    const fourth = text.indexOf('\t', createdAt + 1);
    if (key === -1 || connectionId === -1 || createdAt === -1 || createdAt > end || (fourth !== -1 && fourth < end)) {
      throw new Error('a page of connections did not match its model (four fields a line)');
    }
    summaries.push({
      id: text.slice(start, key),
      providerConfigKey: text.slice(key + 1, connectionId),
      connectionId: text.slice(connectionId + 1, createdAt),
      createdAt: isoFromUtcText(text.slice(createdAt + 1, end)),
    });
    start = end + 1;
  }
  return summaries;
}
