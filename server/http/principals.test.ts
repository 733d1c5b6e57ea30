import { describe, expect, it } from '@jest/globals';
import { authenticate, presentedKey, sameKey } from './principals.js';

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

describe('who may open a flow, by connect policy', () => {
  const SESSION = { tokenHash: 'h', providerConfigKey: 'github', connectionId: 'u1', endUser: null, params: {}, expiresAt: new Date() };
  const sessions = { verify: async (token: string) => (token === 'ncs_good' ? SESSION : null) };
  const CONNECT = ['connect-session', 'frontend'] as const;
  const keys = (connectPolicy: 'open' | 'session' | 'public-key', publicKey?: string) => ({ secretKey: 'sk', publicKey, connectPolicy, connectSessions: sessions });
  const refusal = (run: () => unknown) => {
    try {
      const result = run();
      return result instanceof Promise ? result.then(() => 'proven', (error: { code?: string }) => error.code) : 'proven';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('admits a live connect session under every policy', async () => {
    for (const policy of ['open', 'session', 'public-key'] as const) {
      await expect(authenticate(CONNECT, { authorization: undefined, publicKey: undefined, connectSessionToken: 'ncs_good' }, keys(policy, 'pk'))).resolves.toEqual({ kind: 'connect-session', session: SESSION });
    }
  });

  it('refuses an unknown session token, and never falls back to the public key for it', async () => {
    expect(await refusal(() => authenticate(CONNECT, { authorization: undefined, publicKey: 'pk', connectSessionToken: 'ncs_bad' }, keys('public-key', 'pk')))).toBe('invalid_connect_session');
  });

  it('under `session`, refuses a page with or without the public key', async () => {
    for (const publicKey of [undefined, 'pk']) {
      expect(await refusal(() => authenticate(CONNECT, { authorization: undefined, publicKey }, keys('session', 'pk')))).toBe('connect_session_required');
    }
    expect(await refusal(() => authenticate(CONNECT, { authorization: undefined, publicKey: undefined }, keys('session')))).toBe('connect_session_required');
  });

  it('under `public-key`, admits the page with the key and refuses it without', async () => {
    expect(authenticate(CONNECT, { authorization: undefined, publicKey: 'pk' }, keys('public-key', 'pk'))).toEqual({ kind: 'frontend', via: 'public-key' });
    expect(await refusal(() => authenticate(CONNECT, { authorization: undefined, publicKey: undefined }, keys('public-key', 'pk')))).toBe('invalid_public_key');
    expect(await refusal(() => authenticate(CONNECT, { authorization: undefined, publicKey: 'wrong' }, keys('public-key', 'pk')))).toBe('invalid_public_key');
  });

  it('under `open` without a public key, admits any page', () => {
    expect(authenticate(CONNECT, { authorization: undefined, publicKey: undefined }, keys('open'))).toEqual({ kind: 'frontend', via: 'open' });
  });
});
