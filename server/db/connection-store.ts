// The SQL of the connections table. Listing and reading a connection never
// selects its credentials; only the credential reads do.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { inTransaction } from './pool.js';
import type { ReadConnections } from './read-connections.js';
import { SecretBox } from './secret-box.js';
import { isoFromUtcText } from './timestamps.js';

const timestamp = z.number().transform((ms) => new Date(ms));
const jsonObject = z.record(z.string(), z.unknown());

const ConnectionRow = z.object({
  id: z.bigint(),
  providerConfigKey: z.string(),
  connectionId: z.string(),
  provider: z.string(),
  connectionConfig: jsonObject,
  metadata: jsonObject,
  createdAt: timestamp,
  updatedAt: timestamp,
  lastRefreshSuccessAt: timestamp.nullable(),
  lastRefreshFailureAt: timestamp.nullable(),
  lastRefreshFailureCode: z.string().nullable(),
  lastRefreshFailureDescription: z.string().nullable(),
});

export type ConnectionRecord = z.infer<typeof ConnectionRow>;

// The expiry is inside the credentials; the expires_at column is there for queries over it.
const ConnectionWithCredentialsRow = ConnectionRow.extend({ credentials: z.string() });

/** A connection with its serialized credentials: only for the credential reads. */
export type ConnectionWithCredentials = z.infer<typeof ConnectionWithCredentialsRow>;

export interface RefreshFailure {
  code: string;
  description: string | null;
}

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

const COLUMNS = sql.fragment`
  c.id,
  c.provider_config_key AS "providerConfigKey",
  c.connection_id AS "connectionId",
  p.provider,
  c.connection_config AS "connectionConfig",
  c.metadata,
  c.created_at AS "createdAt",
  c.updated_at AS "updatedAt",
  c.last_refresh_success_at AS "lastRefreshSuccessAt",
  c.last_refresh_failure_at AS "lastRefreshFailureAt",
  c.last_refresh_failure_code AS "lastRefreshFailureCode",
  c.last_refresh_failure_description AS "lastRefreshFailureDescription"
`;

const CREDENTIAL_COLUMNS = sql.fragment`${COLUMNS}, c.credentials`;

const CREDENTIALS_COLUMN = 'connections.credentials';

/**
 * The token read, the query in front of every API call of our users: a named
 * prepared statement (planned once per connection, not per read) on the shared,
 * pipelined read connections (read-connections.ts), without slonik's per-query
 * work. The columns are Postgres-typed; the row is checked by hand rather than
 * by zod, for the same reason. Each column costs the driver some work per
 * read: the config key and connection id are the ones asked for, so they are
 * not read back.
 */
const HOT_READ = `
  SELECT c.id::text AS id, p.provider, c.connection_config, c.metadata,
    c.created_at, c.updated_at, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.last_refresh_failure_code, c.last_refresh_failure_description, c.credentials
  FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key
  WHERE c.provider_config_key = $1 AND c.connection_id = $2`;

const LIST_COLUMNS = `
  c.id::text AS id, c.provider_config_key, c.connection_id, p.provider, c.connection_config, c.metadata,
  c.created_at, c.updated_at, c.last_refresh_success_at, c.last_refresh_failure_at,
  c.last_refresh_failure_code, c.last_refresh_failure_description`;
const LIST_ALL = `
  SELECT ${LIST_COLUMNS} FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key
  WHERE ($1::bigint IS NULL OR c.id < $1) ORDER BY c.id DESC LIMIT $2`;
const LIST_BY_KEY = `
  SELECT ${LIST_COLUMNS} FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key
  WHERE c.provider_config_key = $1 AND ($2::bigint IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3`;

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

interface HotRow {
  id: string;
  provider_config_key: string;
  connection_id: string;
  provider: string;
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  last_refresh_success_at: Date | null;
  last_refresh_failure_at: Date | null;
  last_refresh_failure_code: string | null;
  last_refresh_failure_description: string | null;
  /** Absent from the list queries. */
  credentials?: string;
}

export class ConnectionStore {
  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox,
    /** For the token read and the list (see HOT_READ). */
    private readonly reads: ReadConnections,
  ) {}

  /** Inserts, or replaces the credentials of the existing (config key, connection id). */
  async upsert(values: ConnectionValues): Promise<ConnectionRecord> {
    return this.pool.one(sql.type(ConnectionRow)`
      WITH saved AS (
        INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at, connection_config, metadata)
        VALUES (
          ${values.providerConfigKey}, ${values.connectionId}, ${this.box.seal(values.credentials, CREDENTIALS_COLUMN)},
          ${values.expiresAt ? sql.timestamp(values.expiresAt) : null},
          ${sql.jsonb(values.connectionConfig)}, ${sql.jsonb(values.metadata as never)}
        )
        ON CONFLICT (provider_config_key, connection_id) DO UPDATE SET
          credentials = EXCLUDED.credentials,
          expires_at = EXCLUDED.expires_at,
          connection_config = EXCLUDED.connection_config,
          metadata = connections.metadata || EXCLUDED.metadata,
          updated_at = now()
        RETURNING *
      )
      SELECT ${COLUMNS} FROM saved c JOIN provider_configs p ON p.key = c.provider_config_key
    `);
  }

  /** One query: the connection, its credentials and refresh record. */
  async getWithCredentials(providerConfigKey: string, connectionId: string): Promise<ConnectionWithCredentials | null> {
    const { rows } = await this.reads.query<Omit<HotRow, 'provider_config_key' | 'connection_id'>>({
      name: 'connection-with-credentials',
      text: HOT_READ,
      values: [providerConfigKey, connectionId],
    });
    const row = rows[0];
    if (!row || typeof row.credentials !== 'string') return null;
    // One object per read, the decrypted credentials added to it.
    return Object.assign(recordOf(row, providerConfigKey, connectionId), { credentials: this.box.open(row.credentials, CREDENTIALS_COLUMN) });
  }

  /**
   * Inside a transaction: re-reads the connection and holds its row lock until
   * commit, so that one refresh at a time happens for it across all instances.
   */
  async lockWithCredentials(transaction: CommonQueryMethods, id: bigint): Promise<ConnectionWithCredentials | null> {
    return this.opened(
      await transaction.maybeOne(sql.type(ConnectionWithCredentialsRow)`
        SELECT ${CREDENTIAL_COLUMNS} FROM connections c JOIN provider_configs p ON p.key = c.provider_config_key
        WHERE c.id = ${id.toString()}::bigint
        FOR UPDATE OF c
      `),
    );
  }

  private opened(row: ConnectionWithCredentials | null): ConnectionWithCredentials | null {
    return row && { ...row, credentials: this.box.open(row.credentials, CREDENTIALS_COLUMN) };
  }

  async saveRefreshed(connection: CommonQueryMethods, id: bigint, credentials: string, expiresAt: Date | null): Promise<void> {
    await connection.query(sql.unsafe`
      UPDATE connections SET
        credentials = ${this.box.seal(credentials, CREDENTIALS_COLUMN)},
        expires_at = ${expiresAt ? sql.timestamp(expiresAt) : null},
        last_refresh_success_at = now(),
        last_refresh_failure_at = NULL,
        last_refresh_failure_code = NULL,
        last_refresh_failure_description = NULL,
        updated_at = now()
      WHERE id = ${id.toString()}::bigint
    `);
  }

  async recordRefreshFailure(connection: CommonQueryMethods, id: bigint, failure: RefreshFailure): Promise<void> {
    await connection.query(sql.unsafe`
      UPDATE connections SET
        last_refresh_failure_at = now(),
        last_refresh_failure_code = ${failure.code},
        last_refresh_failure_description = ${failure.description}
      WHERE id = ${id.toString()}::bigint
    `);
  }

  /** Runs `work` in a transaction on one pooled connection. */
  transaction<T>(work: (transaction: CommonQueryMethods) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** Newest first (by id, which grows with creation). */
  async list(options: ListConnectionsOptions): Promise<readonly ConnectionRecord[]> {
    // Prepared too: a page of the list is the other read our users repeat.
    const rows = await this.page<HotRow>(options, ['connections-page', LIST_ALL], ['connections-page-by-key', LIST_BY_KEY]);
    return rows.map(fromHotRow);
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
    const deleted = await this.pool.maybeOne(sql.type(z.object({ id: z.bigint() }))`
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

function fromHotRow(row: HotRow): ConnectionRecord {
  return recordOf(row, row.provider_config_key, row.connection_id);
}

function recordOf(row: Omit<HotRow, 'provider_config_key' | 'connection_id'>, providerConfigKey: string, connectionId: string): ConnectionRecord {
  if (!(row.created_at instanceof Date) || typeof connectionId !== 'string') {
    throw new Error('a connections row did not match its model (columns: created_at, connection_id)');
  }
  return {
    id: BigInt(row.id),
    providerConfigKey,
    connectionId,
    provider: row.provider,
    connectionConfig: row.connection_config,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastRefreshSuccessAt: row.last_refresh_success_at,
    lastRefreshFailureAt: row.last_refresh_failure_at,
    lastRefreshFailureCode: row.last_refresh_failure_code,
    lastRefreshFailureDescription: row.last_refresh_failure_description,
  };
}
