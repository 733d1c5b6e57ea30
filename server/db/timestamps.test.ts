import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isoFromUtcText, parseTimestamptz } from './timestamps.js';

const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => Date;

describe('parseTimestamptz', () => {
  it('agrees with pg\'s parser on the layouts Postgres writes', () => {
    const samples = [
      '2026-11-22 13:01:58+00',
      '2026-11-22 13:01:58.1+00',
      '2026-11-22 13:01:58.12+00',
      '2026-11-22 13:01:58.123+00',
      '2026-11-22 13:01:58.123456+00',
      '2026-11-22 13:01:58.999999+00',
      '2026-11-22 13:01:58.5+05:30',
      '2026-11-22 13:01:58.5-03:30',
      '2026-01-01 00:00:00-08',
      '1970-01-01 00:00:00+00',
      '2000-02-29 23:59:59.000001+14',
      '0099-12-31 23:59:59+00',
    ];
    for (let n = 0; n < 500; n++) {
      const time = new Date(Math.floor(Math.random() * 4_102_444_800_000));
      const iso = time.toISOString().replace('T', ' ').replace('Z', '');
      samples.push(`${iso}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}+00`, `${iso.slice(0, 19)}+02`);
    }
    for (const sample of samples) expect([sample, parseTimestamptz(sample).getTime()]).toEqual([sample, pgParse(sample).getTime()]);
  });

  it('leaves other forms to pg\'s parser', () => {
    for (const sample of ['infinity', '-infinity', '2026-11-22 13:01:58+00 BC', '1900-01-01 00:00:00+00:09:21', '2026-11-22T13:01:58Z', '2026-1x-22 13:01:58+00']) {
      const ours = parseTimestamptz(sample);
      const theirs = pgParse(sample);
      expect([sample, String(ours)]).toEqual([sample, String(theirs)]);
    }
  });
});

describe('isoFromUtcText', () => {
  /** A UTC instant as Postgres writes a timestamp: microseconds, trailing zeros of the fraction dropped. */
  const postgresText = (date: Date, micros: number) => {
    const fraction = String(date.getUTCMilliseconds() * 1000 + micros).padStart(6, '0').replace(/0+$/, '');
    return `${date.toISOString().slice(0, 19).replace('T', ' ')}${fraction ? `.${fraction}` : ''}`;
  };

  it('writes what toISOString writes for the same instant, milliseconds cut', () => {
    const samples: Array<[Date, number]> = [
      [new Date('2026-11-22T13:01:58.000Z'), 0],
      [new Date('2026-11-22T13:01:58.100Z'), 0],
      [new Date('2026-11-22T13:01:58.120Z'), 0],
      [new Date('2026-11-22T13:01:58.123Z'), 0],
      [new Date('2026-11-22T13:01:58.123Z'), 400],
      [new Date('2026-11-22T13:01:58.999Z'), 999],
      [new Date('2026-11-22T13:01:58.000Z'), 1],
      [new Date('1000-01-01T00:00:00.000Z'), 0],
      [new Date('9999-12-31T23:59:59.999Z'), 999],
    ];
    for (let n = 0; n < 500; n++) samples.push([new Date(Math.floor(Math.random() * 4_102_444_800_000)), Math.floor(Math.random() * 1000)]);
    for (const [date, micros] of samples) {
      const text = postgresText(date, micros);
      expect([text, isoFromUtcText(text)]).toEqual([text, date.toISOString()]);
    }
  });

  it('goes through a Date for other years, and leaves what no Date holds as it is', () => {
    expect(isoFromUtcText('10000-01-01 00:00:00')).toBe(pgParse('10000-01-01 00:00:00+00').toISOString());
    expect(isoFromUtcText('infinity')).toBe('infinity');
  });
});
