// The SQL of the connections table. Listing and reading a connection never
// selects its credentials; only the credential reads do.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { Batcher, ItemFailed } from './batcher.js';
import type { EndUser } from './connect-session-store.js';
import { healthEventData, insertEvents } from './event-store.js';
import { databaseFailure } from './failures.js';
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
  /** Grows by one with every write of the credentials: a refresh writes only over the version it claimed. */
  credentialsVersion: string;
  health: ConnectionHealthStatus;
  healthSince: Date;
  healthCode: string | null;
  healthDescription: string | null;
  /** While failing: the earliest time the provider is asked again. */
  nextRefreshAttemptAt: Date | null;
  /**
   * The end user the connect session named (its id is null when none did).
   * Not read by the token read (undefined there: three more columns cost it 3 %);
   * endUserOf() reads them for that row when they are asked for.
   */
  endUserId?: string | null;
  endUserEmail?: string | null;
  endUserDisplayName?: string | null;
}

/** The end user columns of a connection. */
export type EndUserColumns = Required<Pick<ConnectionRecord, 'endUserId' | 'endUserEmail' | 'endUserDisplayName'>>;
const EndUserRow = z.object({ endUserId: z.string().nullable(), endUserEmail: z.string().nullable(), endUserDisplayName: z.string().nullable() });

export const HEALTH_STATUSES = ['HEALTHY', 'REFRESH_FAILING', 'NEEDS_REAUTH'] as const;
export type ConnectionHealthStatus = (typeof HEALTH_STATUSES)[number];

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
  { table: 'c', column: 'credentials_version', text: true, name: 'credentialsVersion', kind: 'text' },
  { table: 'c', column: 'health', name: 'health', kind: 'text' },
  { table: 'c', column: 'health_since', name: 'healthSince', kind: 'instant' },
  { table: 'c', column: 'health_code', name: 'healthCode', kind: 'text?' },
  { table: 'c', column: 'health_description', name: 'healthDescription', kind: 'text?' },
  { table: 'c', column: 'next_refresh_attempt_at', name: 'nextRefreshAttemptAt', kind: 'instant?' },
  { table: 'c', column: 'end_user_id', name: 'endUserId', kind: 'text?' },
  { table: 'c', column: 'end_user_email', name: 'endUserEmail', kind: 'text?' },
  { table: 'c', column: 'end_user_display_name', name: 'endUserDisplayName', kind: 'text?' },
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
 * The token read leaves out the key and the id it was given, and the end user
 * (each column costs the driver some work per read, and this read is the one
 * our users repeat).
 */
const ASKED_FOR = new Set(['providerConfigKey', 'connectionId', 'endUserId', 'endUserEmail', 'endUserDisplayName']);
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
type CheckedRow = Omit<ConnectionRecord, 'createdAt' | 'updatedAt' | 'lastRefreshSuccessAt' | 'lastRefreshFailureAt' | 'healthSince' | 'nextRefreshAttemptAt'> & {
  createdAt: Date | number;
  updatedAt: Date | number;
  lastRefreshSuccessAt: Date | number | null;
  lastRefreshFailureAt: Date | number | null;
  healthSince: Date | number;
  nextRefreshAttemptAt: Date | number | null;
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
    credentialsVersion: values.credentialsVersion,
    health: values.health,
    healthSince: instant(values.healthSince),
    healthCode: values.healthCode,
    healthDescription: values.healthDescription,
    nextRefreshAttemptAt: maybeInstant(values.nextRefreshAttemptAt),
    endUserId: values.endUserId,
    endUserEmail: values.endUserEmail,
    endUserDisplayName: values.endUserDisplayName,
  };
}

export interface RefreshFailure {
  code: string;
  description: string | null;
}

const IdRow = z.object({ id: z.bigint() });
const CountRow = z.object({ count: z.coerce.number() });
/** Up to this many connections (by the estimate), every one is counted. */
const EXACT_COUNT_BELOW = 10_000;
const HealthCountsRow = z.object({ refreshFailing: z.coerce.number(), needsReauth: z.coerce.number(), estimatedTotal: z.coerce.number() });
const RefreshStateRow = z.object({ id: z.string(), credentialsVersion: z.string(), claimLive: z.boolean() });

/** Where a claimed refresh stands. */
export interface RefreshState {
  credentialsVersion: string;
  claimLive: boolean;
}

/** A refresh's answer, as written over the claimed credentials. */
export interface RefreshedValues {
  /** Serialized credentials. */
  credentials: string;
  expiresAt: Date | null;
  refreshDueAt: Date | null;
}

interface RefreshedWrite {
  row: Pick<ConnectionRecord, 'id' | 'providerConfigKey' | 'connectionId'>;
  claimedVersion: string;
  values: RefreshedValues;
}

/** A claimed refresh: the row as claimed, the claim's id, and whether it took over a claim whose holder died. */
export interface RefreshClaim {
  connection: ConnectionWithCredentials;
  claim: string;
  tookOver: boolean;
  /** Failed refreshes in a row before this one. */
  refreshFailures: number;
  /** When its provider config last changed (ms): the refresh engine's cached config is reused while this is unchanged. */
  configUpdatedAt: number;
}

/** What a failed refresh does to a connection's health. */
export interface HealthChange {
  status: ConnectionHealthStatus;
  code: string | null;
  description: string | null;
  nextAttemptAt: Date | null;
}

export interface ConnectionValues {
  providerConfigKey: string;
  connectionId: string;
  /** The end user the connect session named: stored on it (a re-authorization without one keeps the last) and in its event. */
  endUser?: EndUser | null;
  /** Serialized credentials. */
  credentials: string;
  expiresAt: Date | null;
  /** When the scheduler should refresh ahead; null: never. */
  refreshDueAt: Date | null;
  connectionConfig: Record<string, string>;
  metadata: Record<string, unknown>;
}

export interface ListConnectionsOptions {
  providerConfigKey?: string;
  /** Only the connections in this health. */
  health?: ConnectionHealthStatus;
  /**
   * Only those whose connection id, or end user's id, email or display name,
   * starts with this (case-insensitive; LIKE's metacharacters match themselves).
   */
  search?: string;
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

/** The proxy's read: the token read's row, and when its provider config last changed (to know a cached config is current). */
const PROXY_READ = `SELECT ${selectList(HOT_COLUMNS)}, p.updated_at AS "configUpdatedAt" ${FROM} WHERE c.provider_config_key = $1 AND c.connection_id = $2`;

/**
 * Where a page's rows come from, by the list's filters. The health is a closed
 * set, written into the text as a literal: each filter is its own prepared
 * statement, and the planner can then prove that an unhealthy status matches
 * the partial index connections_unhealthy (health, id), which it cannot prove
 * of a parameter (a generic plan with `health = $1` walked the primary key:
 * 36 ms for a page of NEEDS_REAUTH among a million rows, 0.5 ms by the index).
 * Healthy connections are most of the table: they are found walking the
 * primary key, as the unfiltered list does.
 */
function pageWhere(options: Pick<ListConnectionsOptions, 'providerConfigKey' | 'health' | 'search'>): { name: string; where: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  let name = '';
  if (options.providerConfigKey !== undefined) {
    values.push(options.providerConfigKey);
    conditions.push(`c.provider_config_key = $${values.length}`);
    name += '-by-key';
  }
  if (options.health !== undefined) {
    const literal = HEALTH_LITERALS.get(options.health);
    if (!literal) throw new Error('a connection health outside the declared statuses');
    conditions.push(`c.health = ${literal}`);
    name += `-${options.health.toLowerCase()}`;
  }
  const search = options.search === undefined ? undefined : (values.push(`${escapeLike(options.search)}%`), `lower($${values.length})`);
  const cursor = values.length + 1;
  const limit = values.length + 2;
  conditions.push(`($${cursor}::bigint IS NULL OR c.id < $${cursor})`);
  if (search !== undefined) {
    // Every match first (one bitmap over the four prefix indexes of
    // 0014_connection_end_user.sql), then its newest page. Left to plan the OR with
    // ORDER BY id LIMIT itself, the planner walked the primary key past every row:
    // 430 ms for a rare match among 500,000 connections, 0.3 ms this way. The cost
    // now grows with the matches instead (a prefix matching all 500,000: 480 ms).
    const fields = [
      `lower(c.connection_id) LIKE ${search}`,
      ...['end_user_id', 'end_user_email', 'end_user_display_name'].map((column) => `(c.${column} IS NOT NULL AND lower(c.${column}) LIKE ${search})`),
    ];
    const matched = `WITH matched AS MATERIALIZED (SELECT c.id FROM connections c WHERE ${[...conditions, `(${fields.join(' OR ')})`].join(' AND ')})`;
    conditions.push(`c.id = ANY(ARRAY(${matched} SELECT id FROM matched ORDER BY id DESC LIMIT $${limit}))`);
    name += '-search';
  }
  return { name, where: `WHERE ${conditions.join(' AND ')} ORDER BY c.id DESC LIMIT $${limit}`, values };
}

/** The text as a LIKE pattern that matches it literally (backslash is LIKE's default escape). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const HEALTH_LITERALS = new Map<ConnectionHealthStatus, string>(HEALTH_STATUSES.map((status) => [status, `'${status}'`]));

/** The text of each page statement, by its name (a statement's name stands for one text on every connection). */
const PAGE_TEXTS = new Map<string, string>();

const LIST_PAGE = (where: string) => `SELECT ${selectList(CONNECTION_COLUMNS)} ${FROM} ${where}`;

const LOCKED_WITH_CREDENTIALS = slonikList(WITH_CREDENTIALS_COLUMNS);
const LOCKED = slonikList(CONNECTION_COLUMNS);

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
const SUMMARIES_PAGE = (where: string) => `
  SELECT ${SUMMARY_LINE} FROM (
    SELECT c.id, c.provider_config_key, c.connection_id, c.created_at FROM connections c
    ${where}) c`;

/** A connection as a list entry shows it. */
export interface ConnectionSummaryRecord {
  /** The bigint id, as text. */
  id: string;
  providerConfigKey: string;
  connectionId: string;
  /** ISO 8601 in UTC, to the millisecond. */
  createdAt: string;
}

/** A changed connection row's key and id, for its events: as its columns, and as a RETURNING of LOCKED names them. */
const WRITTEN_CONNECTION = { key: sql.fragment`provider_config_key`, connection: sql.fragment`connection_id` };
const RETURNED_CONNECTION = { key: sql.fragment`"providerConfigKey"`, connection: sql.fragment`"connectionId"` };

function endUserData(endUser: EndUser | null | undefined) {
  return endUser ? sql.fragment`${sql.jsonb({ endUser } as never)}` : undefined;
}

// Batches out at once for each kind of refresh statement: room in the pool of ten for everything else.
const REFRESH_BATCHES = { maxBatch: 250, maxInFlight: 2 };

export class ConnectionStore {
  private readonly claims = new Batcher((items: Array<{ id: string; leaseSeconds: number }>) => this.claimBatch(items), REFRESH_BATCHES);
  private readonly states = new Batcher((ids: string[]) => this.refreshStateBatch(ids), { ...REFRESH_BATCHES, maxInFlight: 1 });
  private readonly refreshedWrites = new Batcher((items: RefreshedWrite[]) => this.writeRefreshedBatch(items), REFRESH_BATCHES);

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
        : // A re-authorization: new credentials (a refresh in flight with the old ones writes nothing), and healthy again.
          sql.fragment`DO UPDATE SET
          credentials = EXCLUDED.credentials,
          credentials_version = connections.credentials_version + 1,
          expires_at = EXCLUDED.expires_at,
          refresh_due_at = EXCLUDED.refresh_due_at,
          connection_config = EXCLUDED.connection_config,
          metadata = connections.metadata || EXCLUDED.metadata,
          -- A flow whose session named nobody keeps the end user named before.
          end_user_id = COALESCE(EXCLUDED.end_user_id, connections.end_user_id),
          end_user_email = CASE WHEN EXCLUDED.end_user_id IS NULL THEN connections.end_user_email ELSE EXCLUDED.end_user_email END,
          end_user_display_name = CASE WHEN EXCLUDED.end_user_id IS NULL THEN connections.end_user_display_name ELSE EXCLUDED.end_user_display_name END,
          health = 'HEALTHY', health_since = now(), health_code = NULL, health_description = NULL,
          refresh_failures = 0, next_refresh_attempt_at = NULL,
          updated_at = now()`;
    const written = await executor.maybeOne(sql.type(IdRow)`
      WITH written AS (
        INSERT INTO connections (provider_config_key, connection_id, credentials, expires_at, refresh_due_at, connection_config, metadata, end_user_id, end_user_email, end_user_display_name)
        VALUES (
          ${values.providerConfigKey}, ${values.connectionId}, ${this.box.seal(values.credentials, SEALED.credentials, values.providerConfigKey, values.connectionId)},
          ${values.expiresAt ? sql.timestamp(values.expiresAt) : null}, ${values.refreshDueAt ? sql.timestamp(values.refreshDueAt) : null},
          ${sql.jsonb(values.connectionConfig)}, ${sql.jsonb(values.metadata as never)},
          ${values.endUser?.id ?? null}, ${values.endUser?.email ?? null}, ${values.endUser?.displayName ?? null}
        )
        ON CONFLICT (provider_config_key, connection_id) ${conflict}
        -- xmax is 0 in a row this statement inserted, and set in one it updated.
        RETURNING id, provider_config_key, connection_id, xmax = 0 AS inserted
      ),
      created AS (${insertEvents({ type: 'connection.created', from: 'written', ...WRITTEN_CONNECTION, where: sql.fragment`inserted`, data: endUserData(values.endUser) })}),
      reauthorized AS (${insertEvents({ type: 'connection.reauthorized', from: 'written', ...WRITTEN_CONNECTION, where: sql.fragment`NOT inserted`, data: endUserData(values.endUser) })})
      SELECT id FROM written
    `);
    return written !== null;
  }

  /** The end user of a connection (for a row the token read made, which leaves it out); null when there is no such connection. */
  endUserOf(providerConfigKey: string, connectionId: string): Promise<EndUserColumns | null> {
    return this.pool.maybeOne(sql.type(EndUserRow)`
      SELECT end_user_id AS "endUserId", end_user_email AS "endUserEmail", end_user_display_name AS "endUserDisplayName"
      FROM connections WHERE provider_config_key = ${providerConfigKey} AND connection_id = ${connectionId}
    `);
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

  /** The token read's row for the proxy, with its provider config's updated_at (milliseconds). */
  async getForProxy(providerConfigKey: string, connectionId: string): Promise<{ connection: ConnectionWithCredentials; configUpdatedAt: number } | null> {
    const { rows } = await this.reads.query<Record<string, unknown>>({ name: 'connection-for-proxy', text: PROXY_READ, values: [providerConfigKey, connectionId] });
    const row = rows[0];
    if (!row) return null;
    const record = connectionRow(row, HOT_COLUMNS, { providerConfigKey, connectionId });
    const connection = Object.assign(record, { credentials: this.box.open(row.credentials as string, SEALED.credentials, providerConfigKey, connectionId) });
    return { connection, configUpdatedAt: instant(row.configUpdatedAt as Date | number).getTime() };
  }

  /**
   * The API kept refusing credentials that were just renewed: NEEDS_REAUTH (and its event), unless the
   * credentials changed since `version` was read (a re-authorization meanwhile stands). False when not marked.
   */
  async markCredentialsRejected(id: string, version: string, code: string, description: string): Promise<boolean> {
    const row = await this.pool.maybeOne(sql.unsafe`
      WITH changed AS (
        UPDATE connections c SET
          health_since = CASE WHEN c.health = 'NEEDS_REAUTH' THEN c.health_since ELSE now() END,
          health = 'NEEDS_REAUTH',
          health_code = ${code},
          health_description = ${description},
          next_refresh_attempt_at = NULL
        FROM connections before
        WHERE c.id = ${id}::bigint AND c.credentials_version = ${version}::bigint AND before.id = c.id
        RETURNING c.provider_config_key AS "providerConfigKey", c.connection_id AS "connectionId", before.health AS "previousHealth"
      ),
      needs_reauth AS (${insertEvents({
        type: 'connection.needs_reauth',
        from: 'changed',
        ...RETURNED_CONNECTION,
        where: sql.fragment`"previousHealth" <> 'NEEDS_REAUTH'`,
        data: sql.fragment`jsonb_build_object('health', 'NEEDS_REAUTH', 'error', jsonb_build_object('code', ${code}::text, 'description', ${description}::text))`,
      })})
      SELECT 1 FROM changed
    `);
    return row !== null;
  }

  /**
   * Claims the refresh of a connection for `leaseSeconds`, in one short
   * statement (shared with the claims other readers of this process make
   * meanwhile): null when another claim is live. `tookOver`: the previous claim
   * expired unreleased, so its holder died mid-call and what the provider did
   * with that call is unknown. Readers of one row in the same batch share its claim.
   */
  claimRefresh(id: string, leaseSeconds: number): Promise<RefreshClaim | null> {
    return this.claims.add({ id, leaseSeconds });
  }

  private async claimBatch(items: Array<{ id: string; leaseSeconds: number }>): Promise<Array<RefreshClaim | null>> {
    const ids = [...new Set(items.map((item) => item.id))];
    const rows = await this.claimWhere(sql.fragment`id = ANY(${sql.array(ids, 'int8')})`, sql.fragment`${ids.length}`, Math.max(...items.map((item) => item.leaseSeconds)));
    const byId = new Map(rows.map((row) => [row.connection.id, row]));
    return items.map((item) => byId.get(item.id) ?? null);
  }

  /** The scheduler's share: up to `limit` connections due by `before`, each claimed (rows other instances hold are skipped). */
  claimDue(before: Date, limit: number, leaseSeconds: number): Promise<RefreshClaim[]> {
    return this.claimWhere(
      sql.fragment`refresh_due_at <= ${sql.timestamp(before)} AND health <> 'NEEDS_REAUTH'
        AND (next_refresh_attempt_at IS NULL OR next_refresh_attempt_at <= now())`,
      sql.fragment`${limit}`,
      leaseSeconds,
    );
  }

  private async claimWhere(condition: ReturnType<typeof sql.fragment>, limit: ReturnType<typeof sql.fragment>, leaseSeconds: number): Promise<RefreshClaim[]> {
    const rows: readonly Record<string, unknown>[] = await this.pool.any(sql.unsafe`
      WITH target AS (
        SELECT id, refresh_claim IS NOT NULL AS "tookOver" FROM connections
        WHERE ${condition} AND (refresh_claim IS NULL OR refresh_claimed_until < now())
        ORDER BY refresh_due_at NULLS LAST LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE connections c SET
        refresh_claim = gen_random_uuid(),
        refresh_claimed_until = now() + make_interval(secs => ${leaseSeconds})
      FROM target, provider_configs p
      WHERE c.id = target.id AND p.key = c.provider_config_key
      RETURNING ${LOCKED_WITH_CREDENTIALS}, c.refresh_claim::text AS "claim", target."tookOver", c.refresh_failures AS "refreshFailures", p.updated_at AS "configUpdatedAt"
    `);
    return rows.map((row) => {
      const record = connectionRow(row, WITH_CREDENTIALS_COLUMNS);
      const connection = Object.assign(record, { credentials: this.box.open(row.credentials as string, SEALED.credentials, record.providerConfigKey, record.connectionId) });
      return { connection, claim: row.claim as string, tookOver: row.tookOver === true, refreshFailures: Number(row.refreshFailures), configUpdatedAt: Number(row.configUpdatedAt) };
    });
  }

  /** Keeps a claim alive while its provider call is out; false when it is no longer ours. */
  async extendClaim(id: string, claim: string, leaseSeconds: number): Promise<boolean> {
    const row = await this.pool.maybeOne(sql.type(IdRow)`
      UPDATE connections SET refresh_claimed_until = now() + make_interval(secs => ${leaseSeconds})
      WHERE id = ${id}::bigint AND refresh_claim = ${claim}::uuid RETURNING id
    `);
    return row !== null;
  }

  async releaseClaim(id: string, claim: string): Promise<void> {
    await this.pool.query(sql.unsafe`UPDATE connections SET refresh_claim = NULL, refresh_claimed_until = NULL WHERE id = ${id}::bigint AND refresh_claim = ${claim}::uuid`);
  }

  /** Where a claimed refresh stands, for the readers that wait on it (their looks share a statement). */
  refreshState(id: string): Promise<RefreshState | null> {
    return this.states.add(id);
  }

  private async refreshStateBatch(ids: string[]): Promise<Array<RefreshState | null>> {
    const rows = await this.pool.any(sql.type(RefreshStateRow)`
      SELECT id::text AS id, credentials_version::text AS "credentialsVersion", (refresh_claim IS NOT NULL AND refresh_claimed_until >= now()) AS "claimLive"
      FROM connections WHERE id = ANY(${sql.array([...new Set(ids)], 'int8')})
    `);
    const byId = new Map(rows.map(({ id, ...state }) => [id, state]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * A refresh's answer, written only over the version it claimed (compare and
   * set): null when the credentials changed meanwhile (a re-authorization) or
   * the connection is gone. Releases whatever claim is on the row. Answers that
   * arrive together are written by one statement.
   */
  writeRefreshed(row: Pick<ConnectionRecord, 'id' | 'providerConfigKey' | 'connectionId'>, claimedVersion: string, values: RefreshedValues): Promise<ConnectionWithCredentials | null> {
    return this.refreshedWrites.add({ row, claimedVersion, values });
  }

  private async writeRefreshedBatch(items: RefreshedWrite[]): Promise<Array<ConnectionWithCredentials | null | ItemFailed>> {
    // One statement updates a row once: an id twice in a batch (a spool replay beside a live answer) goes after.
    const ids = new Set<string>();
    const later = items.filter((item) => {
      const again = ids.has(item.row.id);
      ids.add(item.row.id);
      return again;
    });
    if (later.length > 0) {
      const first = items.filter((item) => !later.includes(item));
      const results = new Map<RefreshedWrite, ConnectionWithCredentials | null | ItemFailed>();
      (await this.writeRefreshedBatch(first)).forEach((result, index) => results.set(first[index]!, result));
      (await this.writeRefreshedBatch(later)).forEach((result, index) => results.set(later[index]!, result));
      return items.map((item) => results.get(item)!);
    }
    let written: readonly Record<string, unknown>[];
    try {
      written = await this.pool.any(sql.unsafe`
        WITH written AS (
          UPDATE connections c SET
            credentials = v.credentials,
            credentials_version = c.credentials_version + 1,
            expires_at = v.expires_at,
            refresh_due_at = v.refresh_due_at,
            refresh_claim = NULL,
            refresh_claimed_until = NULL,
            health = 'HEALTHY',
            health_since = CASE WHEN c.health = 'HEALTHY' THEN c.health_since ELSE now() END,
            health_code = NULL,
            health_description = NULL,
            refresh_failures = 0,
            next_refresh_attempt_at = NULL,
            last_refresh_success_at = now(),
            last_refresh_failure_at = NULL,
            last_refresh_failure_code = NULL,
            last_refresh_failure_description = NULL,
            updated_at = now()
          FROM unnest(
            ${sql.array(
              items.map((item) => item.row.id),
              'int8',
            )},
            ${sql.array(
              items.map((item) => item.row.providerConfigKey),
              'text',
            )},
            ${sql.array(
              items.map((item) => item.row.connectionId),
              'text',
            )},
            ${sql.array(
              items.map((item) => item.claimedVersion),
              'int8',
            )},
            ${sql.array(
              items.map((item) => this.box.seal(item.values.credentials, SEALED.credentials, item.row.providerConfigKey, item.row.connectionId)),
              'text',
            )},
            ${sql.array(
              items.map((item) => item.values.expiresAt?.toISOString() ?? null),
              'timestamptz',
            )},
            ${sql.array(
              items.map((item) => item.values.refreshDueAt?.toISOString() ?? null),
              'timestamptz',
            )}
          ) AS v(id, provider_config_key, connection_id, claimed_version, credentials, expires_at, refresh_due_at),
          provider_configs p,
          -- The row as it was before this statement, for the recovery's event.
          connections before
          -- The whole identity, not the id alone: a spooled answer replayed against another database finds nothing.
          WHERE c.id = v.id AND c.provider_config_key = v.provider_config_key AND c.connection_id = v.connection_id
            AND c.credentials_version = v.claimed_version AND p.key = c.provider_config_key AND before.id = c.id
          RETURNING ${LOCKED_WITH_CREDENTIALS}, before.health AS "previousHealth"
        ),
        recovered AS (${insertEvents({
          type: 'connection.refresh_recovered',
          from: 'written',
          ...RETURNED_CONNECTION,
          where: sql.fragment`"previousHealth" <> 'HEALTHY'`,
          data: sql.fragment`'{"health": "HEALTHY"}'::jsonb`,
        })})
        SELECT * FROM written
      `);
    } catch (error) {
      // The database away fails them all (each answer is then spooled); anything else (one answer the database
      // refuses, a deadlock) is tried again alone, so that it does not take its neighbours down with it.
      if (items.length === 1 || databaseFailure(error) === 'unavailable') throw error;
      return Promise.all(items.map((item) => this.writeRefreshedBatch([item]).then(([result]) => result!, (alone: unknown) => new ItemFailed(alone))));
    }
    const byId = new Map(written.map((row) => [row.id as string, row]));
    return items.map((item) => {
      const row = byId.get(item.row.id);
      return row ? Object.assign(connectionRow(row, WITH_CREDENTIALS_COLUMNS), { credentials: item.values.credentials }) : null;
    });
  }

  /**
   * A failed refresh, recorded only while the claim is still ours and the
   * credentials the version it claimed (a refresh that succeeded meanwhile wins):
   * false when it was not recorded.
   */
  async recordRefreshFailure(id: string, claim: string, claimedVersion: string, failure: RefreshFailure, health: HealthChange): Promise<ConnectionRecord | null> {
    const row: Record<string, unknown> | null = await this.pool.maybeOne(sql.unsafe`
      WITH changed AS (
        UPDATE connections c SET
          refresh_claim = NULL,
          refresh_claimed_until = NULL,
          last_refresh_failure_at = now(),
          last_refresh_failure_code = ${failure.code},
          last_refresh_failure_description = ${failure.description},
          refresh_failures = c.refresh_failures + 1,
          next_refresh_attempt_at = ${health.nextAttemptAt ? sql.timestamp(health.nextAttemptAt) : null},
          health_since = CASE WHEN c.health = ${health.status} THEN c.health_since ELSE now() END,
          health = ${health.status},
          health_code = ${health.code},
          health_description = ${health.description}
        -- The row as it was before this statement: its events say what changed.
        FROM connections before, provider_configs p
        WHERE c.id = ${id}::bigint AND c.refresh_claim = ${claim}::uuid AND c.credentials_version = ${claimedVersion}::bigint
          AND before.id = c.id AND p.key = c.provider_config_key
        RETURNING ${LOCKED}, before.health AS "previousHealth", before.refresh_failures AS "previousFailures"
      ),
      -- The first failure of a streak, and the moment only the end user can help.
      failed AS (${insertEvents({ type: 'connection.refresh_failed', from: 'changed', ...RETURNED_CONNECTION, where: sql.fragment`"previousFailures" = 0`, data: healthEventData('changed') })}),
      needs_reauth AS (${insertEvents({
        type: 'connection.needs_reauth',
        from: 'changed',
        ...RETURNED_CONNECTION,
        where: sql.fragment`health = 'NEEDS_REAUTH' AND "previousHealth" <> 'NEEDS_REAUTH'`,
        data: healthEventData('changed'),
      })})
      SELECT * FROM changed
    `);
    return row && connectionRow(row, CONNECTION_COLUMNS);
  }



  /** Runs `work` in a transaction on one pooled connection. */
  transaction<T>(work: (transaction: CommonQueryMethods) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** Newest first (by id, which grows with creation). */
  async list(options: ListConnectionsOptions): Promise<readonly ConnectionRecord[]> {
    // Prepared too: a page of the list is the other read our users repeat.
    const rows = await this.page<Record<string, unknown>>(options, 'connections-page', LIST_PAGE);
    return rows.map((row) => connectionRow(row, CONNECTION_COLUMNS));
  }

  /** Like list(), with only what a list entry shows. */
  async listSummaries(options: ListConnectionsOptions): Promise<readonly ConnectionSummaryRecord[]> {
    const rows = await this.page<[string | null]>(options, 'connection-summary-lines', SUMMARIES_PAGE, 'array');
    const lines = rows[0]?.[0];
    return typeof lines === 'string' ? summariesFromLines(lines) : [];
  }

  private async page<Row>(options: ListConnectionsOptions, name: string, text: (where: string) => string, rowMode?: 'array'): Promise<Row[]> {
    const filter = pageWhere(options);
    const named = `${name}${filter.name}`;
    // Built once per statement: a page is read far more often than its filters change.
    let built = PAGE_TEXTS.get(named);
    if (built === undefined) PAGE_TEXTS.set(named, (built = text(filter.where)));
    const values = [...filter.values, options.beforeId?.toString() ?? null, options.limit];
    // A search is planned with its pattern each time (an unnamed statement): a prepared
    // statement's generic plan cannot turn `LIKE $1` into an index range.
    const query = options.search === undefined ? { name: named, text: built, values } : { text: built, values };
    const { rows } = await this.reads.query(rowMode ? { ...query, rowMode } : query);
    return rows as Row[];
  }

  /**
   * How many connections are in each health, for the metrics gauge: the
   * unhealthy ones counted exactly (the partial index connections_unhealthy
   * holds only them), the healthy ones as the table's estimated size less
   * those. An exact count of every row took 60 ms on a vacuumed million rows and
   * 1 to 4.5 s once refreshes had rewritten a quarter of them (each row then
   * visited in the heap); the estimate is the statistics' live rows, current
   * within a second of each write, or the last ANALYZE's count after the
   * statistics were reset. Below EXACT_COUNT_BELOW rows the healthy are counted
   * too (a few milliseconds), so that a new connection shows at once.
   */
  async countByHealth(): Promise<Record<ConnectionHealthStatus, number>> {
    const counts = await this.pool.one(sql.type(HealthCountsRow)`
      SELECT
        (SELECT count(*) FROM connections WHERE health = 'REFRESH_FAILING') AS "refreshFailing",
        (SELECT count(*) FROM connections WHERE health = 'NEEDS_REAUTH') AS "needsReauth",
        (SELECT CASE WHEN pg_stat_get_live_tuples(c.oid) > 0 OR c.reltuples <= 0 THEN pg_stat_get_live_tuples(c.oid) ELSE c.reltuples::bigint END
         FROM pg_class c WHERE c.oid = 'connections'::regclass) AS "estimatedTotal"
    `);
    const unhealthy = counts.refreshFailing + counts.needsReauth;
    if (counts.estimatedTotal < EXACT_COUNT_BELOW) {
      const total = await this.pool.oneFirst(sql.type(CountRow)`SELECT count(*) AS count FROM connections`);
      return { HEALTHY: Math.max(0, total - unhealthy), REFRESH_FAILING: counts.refreshFailing, NEEDS_REAUTH: counts.needsReauth };
    }
    return { HEALTHY: Math.max(0, counts.estimatedTotal - unhealthy), REFRESH_FAILING: counts.refreshFailing, NEEDS_REAUTH: counts.needsReauth };
  }

  /** How many connections a provider config has (what deleting it would delete with it). */
  async countFor(providerConfigKey: string): Promise<number> {
    const row = await this.pool.one(sql.type(CountRow)`SELECT count(*)::int AS count FROM connections WHERE provider_config_key = ${providerConfigKey}`);
    return row.count;
  }

  async delete(providerConfigKey: string, connectionId: string): Promise<boolean> {
    const deleted = await this.pool.maybeOne(sql.type(IdRow)`
      WITH deleted AS (
        DELETE FROM connections WHERE provider_config_key = ${providerConfigKey} AND connection_id = ${connectionId}
        RETURNING id, provider_config_key, connection_id
      ),
      event AS (${insertEvents({ type: 'connection.deleted', from: 'deleted', ...WRITTEN_CONNECTION })})
      SELECT id FROM deleted
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
