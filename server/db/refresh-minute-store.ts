// The SQL of refresh_minutes (migration 0015): refreshes succeeded and failed
// per minute, added to by every instance, summed as they are written.
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';

/** One minute's counts; `minute` is its start. */
export interface RefreshMinute {
  minute: Date;
  succeeded: number;
  failed: number;
}

const MinuteRow = z.object({
  minute: z.number().transform((ms) => new Date(ms)),
  succeeded: z.coerce.number(),
  failed: z.coerce.number(),
});

/** Kept a day: the dashboard shows an hour, and a day lets someone look back at this morning with SQL. */
const KEPT = sql.fragment`interval '1 day'`;

export class RefreshMinuteStore {
  constructor(private readonly pool: DatabasePool) {}

  /** Adds counts to their minutes (one statement for all), and drops the minutes older than a day. */
  async add(minutes: RefreshMinute[]): Promise<void> {
    if (minutes.length === 0) return;
    await this.pool.query(sql.unsafe`
      WITH added AS (
        INSERT INTO refresh_minutes (minute, succeeded, failed)
        SELECT * FROM ${sql.unnest(
          minutes.map((entry) => [entry.minute.toISOString(), entry.succeeded, entry.failed]),
          ['timestamptz', 'int4', 'int4'],
        )}
        ON CONFLICT (minute) DO UPDATE SET succeeded = refresh_minutes.succeeded + EXCLUDED.succeeded, failed = refresh_minutes.failed + EXCLUDED.failed
      )
      DELETE FROM refresh_minutes WHERE minute < now() - ${KEPT}
    `);
  }

  /** The minutes since `from` that have any count, oldest first. */
  async since(from: Date): Promise<RefreshMinute[]> {
    const rows = await this.pool.any(sql.type(MinuteRow)`
      SELECT minute, succeeded, failed FROM refresh_minutes WHERE minute >= ${from.toISOString()}::timestamptz ORDER BY minute
    `);
    return rows.map((row) => ({ minute: row.minute, succeeded: row.succeeded, failed: row.failed }));
  }
}
