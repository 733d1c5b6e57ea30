// Postgres' text form of a timestamptz in its default (ISO) DateStyle, such as
// '2026-11-22 13:01:58.123456+00', parsed by position. pg's default parser
// runs a regular expression over each value and was the largest single cost
// of a page of connections; anything outside the usual layout (BC dates,
// infinity, offsets with seconds, another DateStyle) still goes to it.
import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

export function parseTimestamptz(text: string): Date {
  // 'YYYY-MM-DD HH:MM:SS' then an optional fraction, then '+HH' or '+HH:MM'.
  if (text.length < 22 || text.charCodeAt(10) !== 32 /* space */ || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return fallback(text);
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46 /* . */) {
    let end = at + 1;
    while (end < text.length && isDigit(text.charCodeAt(end))) end += 1;
    // Date holds milliseconds: further digits are cut, as pg's parser cuts them.
    millis = Number(text.slice(at + 1, Math.min(end, at + 4)).padEnd(3, '0'));
    at = end;
  }
  const sign = text.charCodeAt(at) === 43 /* + */ ? 1 : text.charCodeAt(at) === 45 /* - */ ? -1 : 0;
  const rest = text.length - at;
  if (sign === 0 || (rest !== 3 && rest !== 6) || (rest === 6 && text.charCodeAt(at + 3) !== 58 /* : */)) return fallback(text);
  const offsetMinutes = Number(text.slice(at + 1, at + 3)) * 60 + (rest === 6 ? Number(text.slice(at + 4, at + 6)) : 0);
  const year = Number(text.slice(0, 4));
  // Date.UTC reads years 0-99 as 1900-1999.
  if (!(year >= 100)) return fallback(text);
  const utc = Date.UTC(
    year,
    Number(text.slice(5, 7)) - 1,
    Number(text.slice(8, 10)),
    Number(text.slice(11, 13)),
    Number(text.slice(14, 16)),
    Number(text.slice(17, 19)),
    millis,
  );
  const time = utc - sign * offsetMinutes * 60_000;
  // A non-digit anywhere above makes NaN: let pg's parser say what it is.
  return Number.isNaN(time) || Number.isNaN(offsetMinutes) ? fallback(text) : new Date(time);
}

/**
 * A `timestamp` (without time zone) as Postgres writes it in the ISO DateStyle,
 * such as '2026-11-22 13:01:58.123456' from `(created_at AT TIME ZONE 'UTC')::text`,
 * in the form Date#toISOString gives ('2026-11-22T13:01:58.123Z'): the lists read
 * their dates this way, which costs Postgres and this process less than to_char()
 * or a Date. Years past 9999 go through a Date; what no Date holds (infinity)
 * is returned as Postgres wrote it.
 */
export function isoFromUtcText(text: string): string {
  const length = text.length;
  if (length >= 19 && length <= 26 && text.charCodeAt(10) === 32 /* space */ && (length === 19 || text.charCodeAt(19) === 46) /* . */ && isDigit(text.charCodeAt(length - 1))) {
    // Milliseconds cut, not rounded, as Date and to_char's MS do.
    const millis = length === 19 ? '000' : length >= 23 ? text.slice(20, 23) : text.slice(20).padEnd(3, '0');
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${millis}Z`;
  }
  const date: unknown = parseTimestamptz(`${text}+00`);
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : text;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Type parsers for the read connections: pg's own, except timestamptz. */
export const fastTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary' ? parseTimestamptz : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};
