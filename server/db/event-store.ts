// Events: what happened to connections and provider configs. The stores write
// them with insertEvents() inside the statement that makes the change (so an
// event exists exactly when its change was committed); this module reads them,
// and lets them go after the retention time. Never a token or a secret.
import { sql, type DatabasePool } from 'slonik';

type SqlFragment = ReturnType<typeof sql.fragment>;
import { z } from 'zod';
import type { EndUser } from './connect-session-store.js';
import type { ConnectionHealthStatus } from './connection-store.js';

export const EVENT_TYPES = [
  'connection.created',
  'connection.reauthorized',
  'connection.deleted',
  'connection.refresh_failed',
  'connection.refresh_recovered',
  'connection.needs_reauth',
  'provider_config.created',
  'provider_config.updated',
  'provider_config.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What an event says beyond its key and connection id (the data column). */
export interface EventDetails {
  /** The end user the connect session named (connection.created, connection.reauthorized). */
  endUser?: EndUser;
  health?: ConnectionHealthStatus;
  error?: { code: string; description: string | null };
}

export interface EventRecord {
  id: string;
  type: EventType;
  createdAt: Date;
  providerConfigKey: string;
  connectionId: string | null;
  details: EventDetails;
}

export interface ListEventsOptions {
  /** Only events after this one (its id), oldest first; without it, the latest `first`. */
  after?: string;
  types?: readonly EventType[];
  providerConfigKey?: string;
  connectionId?: string;
  first: number;
}

/**
 * `INSERT INTO events … SELECT … FROM from`: one event of `type` for each row
 * of `from` (a CTE of the statement) that `where` keeps. `key`, `connection`
 * and `data` are expressions over its columns; data holds the EventDetails.
 */
export function insertEvents(event: { type: EventType; from: string; key: SqlFragment; connection?: SqlFragment; where?: SqlFragment; data?: SqlFragment }): SqlFragment {
  return sql.fragment`
    INSERT INTO events (type, provider_config_key, connection_id, data)
    SELECT ${event.type}, ${event.key}, ${event.connection ?? sql.fragment`NULL`}, ${event.data ?? sql.fragment`'{}'::jsonb`}
    FROM ${sql.identifier([event.from])}
    WHERE ${event.where ?? sql.fragment`TRUE`}
  `;
}

/** The data of a health change's events (`row` names the statement's changed row, its columns as LOCKED names them). */
export function healthEventData(row: string): SqlFragment {
  const column = (name: string) => sql.identifier([row, name]);
  return sql.fragment`jsonb_strip_nulls(jsonb_build_object(
    'health', ${column('health')},
    'error', CASE WHEN ${column('lastRefreshFailureCode')} IS NULL THEN NULL
      ELSE jsonb_build_object('code', ${column('lastRefreshFailureCode')}, 'description', ${column('lastRefreshFailureDescription')}) END
  ))`;
}

export const EventRow = z.object({
  id: z.string(),
  type: z.enum(EVENT_TYPES),
  createdAt: z.number(),
  providerConfigKey: z.string(),
  connectionId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

const EVENT_COLUMNS = sql.fragment`public_id AS id, type, created_at AS "createdAt", provider_config_key AS "providerConfigKey", connection_id AS "connectionId", data`;

export class EventStore {
  constructor(private readonly pool: DatabasePool) {}

  async list(options: ListEventsOptions): Promise<{ events: EventRecord[]; hasMore: boolean }> {
    const conditions: SqlFragment[] = [];
    if (options.types?.length) conditions.push(sql.fragment`type = ANY(${sql.array([...options.types], 'text')})`);
    if (options.providerConfigKey !== undefined) conditions.push(sql.fragment`provider_config_key = ${options.providerConfigKey}`);
    if (options.connectionId !== undefined) conditions.push(sql.fragment`connection_id = ${options.connectionId}`);
    if (options.after !== undefined) {
      // An id that is not (or no longer) kept: the events after it are all of them kept.
      conditions.push(sql.fragment`id > coalesce((SELECT id FROM events WHERE public_id = ${options.after}), 0)`);
    }
    const where = conditions.length ? sql.fragment`WHERE ${sql.join(conditions, sql.fragment` AND `)}` : sql.fragment``;
    // After a cursor: the next ones, oldest first. Without: the latest, read newest first and returned oldest first.
    const order = options.after !== undefined ? sql.fragment`ORDER BY events.id` : sql.fragment`ORDER BY events.id DESC`;
    const rows = await this.pool.any(sql.type(EventRow)`SELECT ${EVENT_COLUMNS} FROM events ${where} ${order} LIMIT ${options.first + 1}`);
    const page = rows.slice(0, options.first).map(eventRecord);
    return { events: options.after !== undefined ? page : page.reverse(), hasMore: rows.length > options.first };
  }

  /** Events older than `days` go. Returns how many went. */
  async deleteOlderThan(days: number): Promise<number> {
    const result = await this.pool.query(sql.unsafe`DELETE FROM events WHERE created_at < now() - make_interval(days => ${days})`);
    return result.rowCount;
  }
}

export function eventRecord(row: z.infer<typeof EventRow>): EventRecord {
  return {
    id: row.id,
    type: row.type,
    createdAt: new Date(row.createdAt),
    providerConfigKey: row.providerConfigKey,
    connectionId: row.connectionId,
    details: row.data as EventDetails,
  };
}

/** An event as receivers get it (a webhook's body) and as GraphQL's Event has it. */
export function eventPayload(event: EventRecord) {
  return {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: { providerConfigKey: event.providerConfigKey, connectionId: event.connectionId, ...event.details },
  };
}
