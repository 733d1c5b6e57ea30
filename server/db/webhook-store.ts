// The SQL of webhook endpoints and deliveries. Deliveries are created by the
// events trigger (migration 0012), in the transaction of their event; here they
// are claimed by the instance that sends them, and each attempt is recorded.
import { randomUUID } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { Batcher } from './batcher.js';
import { EVENT_TYPES, eventRecord, EventRow, type EventRecord } from './event-store.js';
import { SEALED, SecretBox } from './secret-box.js';

export const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const EndpointRow = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  description: z.string().nullable(),
  disabledAt: z.number().nullable().transform((ms) => (ms === null ? null : new Date(ms))),
  disabledReason: z.string().nullable(),
  createdAt: z.number().transform((ms) => new Date(ms)),
  updatedAt: z.number().transform((ms) => new Date(ms)),
});
export type WebhookEndpointRecord = z.infer<typeof EndpointRow>;

const ENDPOINT_COLUMNS = sql.fragment`
  public_id AS id, url, events, description, disabled_at AS "disabledAt", disabled_reason AS "disabledReason",
  created_at AS "createdAt", updated_at AS "updatedAt"
`;

const AttemptRow = z.object({ attemptedAt: z.string(), statusCode: z.number().nullable(), latencyMs: z.number(), error: z.string().nullable() });
const DeliveryRow = z.object({
  rowId: z.string(),
  id: z.string(),
  endpointId: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  nextAttemptAt: z.number().transform((ms) => new Date(ms)),
  createdAt: z.number().transform((ms) => new Date(ms)),
  finishedAt: z.number().nullable().transform((ms) => (ms === null ? null : new Date(ms))),
  eventId: z.string(),
  eventType: z.enum(EVENT_TYPES),
  attemptList: z.array(AttemptRow),
});
export type WebhookDeliveryRecord = Omit<z.infer<typeof DeliveryRow>, 'attemptList' | 'rowId'> & {
  attemptList: Array<{ attemptedAt: Date; statusCode: number | null; latencyMs: number; error: string | null }>;
};

const DELIVERY_COLUMNS = sql.fragment`
  d.id::text AS "rowId", d.public_id AS id, e.public_id AS "endpointId", d.status, d.attempts, d.next_attempt_at AS "nextAttemptAt",
  d.created_at AS "createdAt", d.finished_at AS "finishedAt", ev.public_id AS "eventId", ev.type AS "eventType",
  coalesce((SELECT json_agg(json_build_object('attemptedAt', a.attempted_at, 'statusCode', a.status_code, 'latencyMs', a.latency_ms, 'error', a.error) ORDER BY a.id)
    FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS "attemptList"
`;
/** Deliveries (the table, or a statement's RETURNING of its rows: `source`) with their endpoint and event. */
const deliveriesFrom = (source: string) =>
  sql.fragment`FROM ${sql.identifier([source])} d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN events ev ON ev.id = d.event_id`;

/** A delivery claimed for sending: where, with which secret, what. */
export interface DueDelivery {
  rowId: string;
  id: string;
  claim: string;
  attempts: number;
  createdAt: Date;
  endpoint: { id: string; url: string; secret: string; disabled: boolean };
  event: EventRecord;
}

const DueRow = EventRow.extend({
  rowId: z.string(),
  deliveryId: z.string(),
  claim: z.string(),
  attempts: z.number(),
  deliveryCreatedAt: z.number(),
  endpointId: z.string(),
  url: z.string(),
  secret: z.string(),
  disabled: z.boolean(),
});

/** What an attempt came to, and what becomes of its delivery. */
export interface AttemptOutcome {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  next: { status: 'PENDING'; at: Date } | { status: 'SUCCEEDED' | 'FAILED' };
  /** The receiver said 410 Gone: the endpoint is disabled, with this reason. */
  disableEndpoint: string | null;
}

export interface NewEndpoint {
  url: string;
  events: readonly string[];
  description: string | null;
  secret: string;
}

const IdRow = z.object({ id: z.string() });

export class WebhookStore {
  private readonly attempts = new Batcher((items: Array<{ delivery: Pick<DueDelivery, 'rowId' | 'claim'>; outcome: AttemptOutcome }>) => this.recordAttempts(items), {
    maxBatch: 250,
    maxInFlight: 2,
  });

  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox = SecretBox.plaintext(),
  ) {}

  async createEndpoint(values: NewEndpoint): Promise<WebhookEndpointRecord> {
    const id = `whe_${randomUUID().replaceAll('-', '')}`;
    return this.pool.one(sql.type(EndpointRow)`
      INSERT INTO webhook_endpoints (public_id, url, events, description, secret)
      VALUES (${id}, ${values.url}, ${sql.array([...values.events], 'text')}, ${values.description}, ${this.box.seal(values.secret, SEALED.webhookSecret, id)})
      RETURNING ${ENDPOINT_COLUMNS}
    `);
  }

  listEndpoints(): Promise<readonly WebhookEndpointRecord[]> {
    return this.pool.any(sql.type(EndpointRow)`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id`);
  }

  getEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    return this.pool.maybeOne(sql.type(EndpointRow)`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE public_id = ${id}`);
  }

  /** Null when there is no such endpoint. `enabled`: false disables it (its pending deliveries end), true enables it. */
  updateEndpoint(id: string, values: { url?: string; events?: readonly string[]; description?: string | null; enabled?: boolean }): Promise<WebhookEndpointRecord | null> {
    const enabled =
      values.enabled === undefined
        ? sql.fragment`disabled_at = disabled_at, disabled_reason = disabled_reason`
        : values.enabled
          ? sql.fragment`disabled_at = NULL, disabled_reason = NULL`
          : sql.fragment`disabled_at = coalesce(disabled_at, now()), disabled_reason = coalesce(disabled_reason, 'disabled by an update')`;
    return this.pool.maybeOne(sql.type(EndpointRow)`
      UPDATE webhook_endpoints SET
        url = ${values.url ?? sql.fragment`url`},
        events = ${values.events ? sql.array([...values.events], 'text') : sql.fragment`events`},
        description = ${values.description === undefined ? sql.fragment`description` : values.description},
        ${enabled},
        updated_at = now()
      WHERE public_id = ${id}
      RETURNING ${ENDPOINT_COLUMNS}
    `);
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    return (await this.pool.maybeOne(sql.type(IdRow)`DELETE FROM webhook_endpoints WHERE public_id = ${id} RETURNING public_id AS id`)) !== null;
  }

  rotateSecret(id: string, secret: string): Promise<WebhookEndpointRecord | null> {
    return this.pool.maybeOne(sql.type(EndpointRow)`
      UPDATE webhook_endpoints SET secret = ${this.box.seal(secret, SEALED.webhookSecret, id)}, updated_at = now()
      WHERE public_id = ${id}
      RETURNING ${ENDPOINT_COLUMNS}
    `);
  }

  /** Up to `limit` due deliveries, oldest due first, each claimed for `leaseSeconds` (those other instances hold are skipped). */
  async claimDue(limit: number, leaseSeconds: number): Promise<DueDelivery[]> {
    const rows = await this.pool.any(sql.type(DueRow)`
      WITH due AS (
        SELECT id FROM webhook_deliveries
        WHERE status = 'PENDING' AND next_attempt_at <= now() AND (claim IS NULL OR claimed_until < now())
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ),
      claimed AS (
        UPDATE webhook_deliveries d SET claim = gen_random_uuid(), claimed_until = now() + make_interval(secs => ${leaseSeconds})
        FROM due WHERE d.id = due.id
        RETURNING d.*
      )
      SELECT d.id::text AS "rowId", d.public_id AS "deliveryId", d.claim::text AS claim, d.attempts, d.created_at AS "deliveryCreatedAt",
        e.public_id AS "endpointId", e.url, e.secret, e.disabled_at IS NOT NULL AS disabled,
        ev.public_id AS id, ev.type, ev.created_at AS "createdAt", ev.provider_config_key AS "providerConfigKey", ev.connection_id AS "connectionId", ev.data
      FROM claimed d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN events ev ON ev.id = d.event_id
    `);
    return rows.map((row) => ({
      rowId: row.rowId,
      id: row.deliveryId,
      claim: row.claim,
      attempts: row.attempts,
      createdAt: new Date(row.deliveryCreatedAt),
      endpoint: { id: row.endpointId, url: row.url, secret: this.box.open(row.secret, SEALED.webhookSecret, row.endpointId), disabled: row.disabled },
      event: eventRecord(row),
    }));
  }

  /**
   * Records an attempt and its delivery's next state, while the claim is still
   * ours; false when it is not. Attempts that end together are recorded by one
   * statement (a burst's deliveries were a commit each).
   */
  recordAttempt(delivery: Pick<DueDelivery, 'rowId' | 'claim'>, outcome: AttemptOutcome): Promise<boolean> {
    return this.attempts.add({ delivery, outcome });
  }

  private async recordAttempts(items: Array<{ delivery: Pick<DueDelivery, 'rowId' | 'claim'>; outcome: AttemptOutcome }>): Promise<boolean[]> {
    const column = <T>(pick: (item: (typeof items)[number]) => T) => items.map(pick);
    const rows = await this.pool.any(sql.type(IdRow)`
      WITH input AS (
        SELECT * FROM unnest(
          ${sql.array(column((item) => item.delivery.rowId), 'int8')},
          ${sql.array(column((item) => item.delivery.claim), 'uuid')},
          ${sql.array(column((item) => item.outcome.next.status), 'text')},
          ${sql.array(column((item) => (item.outcome.next.status === 'PENDING' ? item.outcome.next.at.toISOString() : null)), 'timestamptz')},
          ${sql.array(column((item) => item.outcome.statusCode), 'int4')},
          ${sql.array(column((item) => Math.round(item.outcome.latencyMs)), 'int4')},
          ${sql.array(column((item) => item.outcome.error), 'text')},
          ${sql.array(column((item) => item.outcome.disableEndpoint), 'text')}
        ) AS i(id, claim, status, next_at, status_code, latency_ms, error, disable_reason)
      ),
      updated AS (
        UPDATE webhook_deliveries d SET
          attempts = d.attempts + 1,
          status = i.status,
          next_attempt_at = coalesce(i.next_at, d.next_attempt_at),
          finished_at = CASE WHEN i.status = 'PENDING' THEN NULL ELSE now() END,
          claim = NULL,
          claimed_until = NULL
        FROM input i
        WHERE d.id = i.id AND d.claim = i.claim
        RETURNING d.id, d.endpoint_id, i.status_code, i.latency_ms, i.error, i.disable_reason
      ),
      attempt AS (
        INSERT INTO webhook_attempts (delivery_id, status_code, latency_ms, error)
        SELECT id, status_code, latency_ms, error FROM updated
      ),
      disabled AS (
        UPDATE webhook_endpoints e SET disabled_at = now(), disabled_reason = u.disable_reason
        FROM updated u WHERE e.id = u.endpoint_id AND u.disable_reason IS NOT NULL AND e.disabled_at IS NULL
      )
      SELECT id::text AS id FROM updated
    `);
    const recorded = new Set(rows.map((row) => row.id));
    return items.map((item) => recorded.has(item.delivery.rowId));
  }

  /** Ends, without an attempt, a claimed delivery whose endpoint was disabled meanwhile. */
  async abandon(delivery: Pick<DueDelivery, 'rowId' | 'claim'>): Promise<void> {
    await this.pool.query(sql.unsafe`
      UPDATE webhook_deliveries SET status = 'FAILED', finished_at = now(), claim = NULL, claimed_until = NULL
      WHERE id = ${delivery.rowId}::bigint AND claim = ${delivery.claim}::uuid
    `);
  }

  /** Newest first; `before`: the row id of the last one of the previous page. */
  async listDeliveries(options: { endpointId: string; status?: DeliveryStatus; limit: number; before?: string }): Promise<Array<WebhookDeliveryRecord & { rowId: string }>> {
    const rows = await this.pool.any(sql.type(DeliveryRow)`
      SELECT ${DELIVERY_COLUMNS} ${deliveriesFrom('webhook_deliveries')}
      WHERE e.public_id = ${options.endpointId}
        ${options.status ? sql.fragment`AND d.status = ${options.status}` : sql.fragment``}
        ${options.before ? sql.fragment`AND d.id < ${options.before}::bigint` : sql.fragment``}
      ORDER BY d.id DESC LIMIT ${options.limit}
    `);
    return rows.map(deliveryRecord);
  }

  /** Due again at once (the same delivery, so the same webhook-id); null when there is none. */
  async redeliver(id: string): Promise<(WebhookDeliveryRecord & { rowId: string }) | null> {
    const row = await this.pool.maybeOne(sql.type(DeliveryRow)`
      WITH again AS (
        UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = now(), finished_at = NULL
        WHERE public_id = ${id} RETURNING *
      )
      -- From the RETURNING: the table itself, read by this statement, is still as it was before it.
      SELECT ${DELIVERY_COLUMNS} ${deliveriesFrom('again')}
    `);
    return row && deliveryRecord(row);
  }

  /** Due deliveries and how long the oldest has waited (s), for the metrics. */
  async queue(): Promise<{ due: number; oldestSeconds: number }> {
    const row = await this.pool.one(sql.type(z.object({ due: z.number(), oldestSeconds: z.number() }))`
      SELECT count(*)::int AS due, coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8 AS "oldestSeconds"
      FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= now()
    `);
    return row;
  }
}

function deliveryRecord(row: z.infer<typeof DeliveryRow>): WebhookDeliveryRecord & { rowId: string } {
  return {
    ...row,
    attemptList: row.attemptList.map((attempt) => ({ ...attempt, attemptedAt: new Date(attempt.attemptedAt) })),
  };
}
