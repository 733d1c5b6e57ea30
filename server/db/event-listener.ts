// Every instance hears of every event at its commit: a connection of its own
// LISTENs on nango_events (the trigger of migration 0011 notifies each event's
// id), and the events notified together are read together. A lost connection
// is opened again, and the events committed meanwhile are read then, so a
// subscriber misses nothing across a database restart.
import pg from 'pg';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { eventRecord, EventRow, type EventRecord } from './event-store.js';

const CHANNEL = 'nango_events';
/** The waits before opening a lost connection again: 0.5 s doubling to 10 s. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

const REMEMBERED = 10_000;

const SequencedEventRow = EventRow.extend({ seq: z.string() });

export class EventListener {
  private client: pg.Client | null = null;
  private stopped = true;
  private retryMs = RECONNECT_FIRST_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Ids notified and not yet read (read together at the end of the turn). */
  private pending = new Set<string>();
  private reading: Promise<void> | null = null;
  /** The highest event id delivered: after a lost connection, what came since is read. */
  private lastSeq: string | null = null;
  /** A new connection listens: what was committed since the last event delivered is read first. */
  private catchUp = false;
  /** The ids delivered lately: an event notified and also read after a reconnection goes out once. */
  private readonly delivered = new Set<string>();

  constructor(
    private readonly databaseUrl: string,
    private readonly pool: DatabasePool,
    private readonly onEvents: (events: EventRecord[]) => void,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    // Events from now on: what was committed before anyone listened is the list's (Query.events).
    this.lastSeq = (await this.pool.oneFirst(sql.type(z.object({ seq: z.string() }))`SELECT coalesce(max(id), 0)::text AS seq FROM events`)) ?? '0';
    await this.connect().catch((error: unknown) => this.lost(error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
    await this.reading;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', (error) => this.lost(error, client));
    client.on('end', () => this.lost(new Error('the listening connection ended'), client));
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      this.pending.add(message.payload);
      this.readSoon();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      // Never left listening unowned: each attempt's connection is ended when the attempt fails.
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = RECONNECT_FIRST_MS;
    // Committed while no connection listened (none, at the first start), read in turn with the notified ones.
    this.catchUp = true;
    this.readSoon();
  }

  private lost(error: unknown, client?: pg.Client): void {
    if (client && client !== this.client) return;
    this.client = null;
    if (this.stopped || this.retryTimer) return;
    this.onError(error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((again: unknown) => this.lost(again));
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  /** Reads what is due (a catch-up after a new connection, then the notified ids), one read at a time, in order. */
  private readSoon(): void {
    if (this.reading) return;
    this.reading = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        if (this.catchUp) {
          this.catchUp = false;
          await this.readSince().catch((error: unknown) => {
            // Not read: the next connection reads it.
            const client = this.client;
            this.lost(error, client ?? undefined);
            void client?.end().catch(() => undefined);
          });
        }
        if (this.pending.size > 0) await this.readPending();
      })
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.reading = null;
        if (this.pending.size > 0 || this.catchUp) this.readSoon();
      });
  }

  private async readPending(): Promise<void> {
    const ids = [...this.pending];
    this.pending.clear();
    const rows = await this.pool.any(sql.type(SequencedEventRow)`
      SELECT id::text AS seq, public_id AS id, type, created_at AS "createdAt", provider_config_key AS "providerConfigKey", connection_id AS "connectionId", data
      FROM events WHERE id = ANY(${sql.array(ids, 'int8')}) ORDER BY id
    `);
    this.deliver(rows);
  }

  private async readSince(): Promise<void> {
    if (this.lastSeq === null) return;
    const rows = await this.pool.any(sql.type(SequencedEventRow)`
      SELECT id::text AS seq, public_id AS id, type, created_at AS "createdAt", provider_config_key AS "providerConfigKey", connection_id AS "connectionId", data
      FROM events WHERE id > ${this.lastSeq}::bigint ORDER BY id LIMIT 10000
    `);
    this.deliver(rows);
  }

  private deliver(rows: ReadonlyArray<z.infer<typeof SequencedEventRow>>): void {
    const fresh = rows.filter((row) => !this.delivered.has(row.seq));
    if (fresh.length === 0) return;
    for (const row of fresh) {
      this.delivered.add(row.seq);
      if (this.lastSeq === null || BigInt(row.seq) > BigInt(this.lastSeq)) this.lastSeq = row.seq;
    }
    // Sets keep insertion order: the oldest go first.
    for (const seq of this.delivered) {
      if (this.delivered.size <= REMEMBERED) break;
      this.delivered.delete(seq);
    }
    this.onEvents(fresh.map(eventRecord));
  }
}
