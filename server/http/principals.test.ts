import { describe, expect, it } from '@jest/globals';
import { presentedKey, sameKey } from './principals.js';

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('reading the key from the Authorization header', () => {
  it.each([
    ['Bearer abc123', { key: 'abc123' }],
    ['bearer abc123', { key: 'abc123' }],
    ['BEARER abc123', { key: 'abc123' }],
    ['Bearer a-b_c.d~e+f/g=!#$%&*', { key: 'a-b_c.d~e+f/g=!#$%&*' }],
    // @nangohq/node 0.9: the key as user name, an empty password.
    [basic('abc123:'), { key: 'abc123' }],
    [`basic ${Buffer.from('abc123:').toString('base64')}`, { key: 'abc123' }],
    [undefined, 'missing'],
    ['', 'missing'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['Bearer abc123 junk', 'malformed'],
    ['Bearer  abc123', 'malformed'],
    ['Bearer\tabc123', 'malformed'],
    ['Bearer abc123\t', 'malformed'],
    ['Bearer abc\u00e9', 'malformed'],
    ['Bearerabc123', 'malformed'],
    [' Bearer abc123', 'malformed'],
    // A password, even one the server would ignore: no client of ours sends one.
    [basic('abc123:ignored-password'), 'malformed'],
    [basic('abc123'), 'malformed'],
    [basic(':'), 'malformed'],
    [basic(':password-only'), 'malformed'],
    [basic('abc 123:'), 'malformed'],
    [basic('abc:123:'), 'malformed'],
    [`${basic('abc123:')} junk`, 'malformed'],
    [`Basic  ${Buffer.from('abc123:').toString('base64')}`, 'malformed'],
    [`Basic ${Buffer.from('abc123:').toString('base64').replace(/=+$/, '')}`, 'malformed'],
    [`Basic ${Buffer.from('abc123:').toString('base64url')}!`, 'malformed'],
    // "YWJjMTIzOg==" with stray bits in its last character before the padding: decodes the same, encodes otherwise.
    ['Basic YWJjMTIzOh==', 'malformed'],
    ['Token abc123', 'malformed'],
  ])('%j → %j', (header, expected) => {
    expect(presentedKey(header)).toEqual(expected);
  });

  it('compares keys of any length without throwing', () => {
    expect(sameKey('a', 'a')).toBe(true);
    expect(sameKey('a', 'a-much-longer-key')).toBe(false);
  });
});
