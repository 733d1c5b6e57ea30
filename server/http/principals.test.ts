import { describe, expect, it } from '@jest/globals';
import { presentedKey, sameKey } from './principals.js';

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('reading the key from the Authorization header', () => {
  it.each([
    ['Bearer abc123', { key: 'abc123' }],
    ['bearer abc123', { key: 'abc123' }],
    [basic('abc123:'), { key: 'abc123' }],
    [basic('abc123'), { key: 'abc123' }],
    [basic('abc123:ignored-password'), { key: 'abc123' }],
    [undefined, 'missing'],
    ['', 'missing'],
    ['Bearer', 'malformed'],
    [basic(':password-only'), 'malformed'],
    ['Token abc123', 'malformed'],
  ])('%s → %j', (header, expected) => {
    expect(presentedKey(header)).toEqual(expected);
  });

  it('compares keys of any length without throwing', () => {
    expect(sameKey('a', 'a')).toBe(true);
    expect(sameKey('a', 'a-much-longer-key')).toBe(false);
  });
});
