import { describe, expect, it } from '@jest/globals';
import { oauth1Credentials, parseCredentials, serializeCredentials, StoredCredentialsError, type OAuth2Credentials } from './credentials.js';

const oauth2: OAuth2Credentials = {
  type: 'OAUTH2',
  accessToken: 'at',
  refreshToken: null,
  tokenType: 'bearer',
  scopes: ['read', 'write'],
  expiresAt: new Date('2026-11-22T13:00:00.000Z'),
  obtainedAt: new Date('2026-11-22T12:00:00.000Z'),
  raw: { access_token: 'at', nested: { a: 1 } },
};

describe('stored credentials', () => {
  it('read back what was written, OAuth 2 and OAuth 1', () => {
    expect(parseCredentials(serializeCredentials(oauth2))).toEqual(oauth2);
    expect(parseCredentials(serializeCredentials({ ...oauth2, expiresAt: null, refreshToken: 'rt' }))).toEqual({ ...oauth2, expiresAt: null, refreshToken: 'rt' });
    const oauth1 = oauth1Credentials('token', 'token-secret', { oauth_token: 'token' }, new Date('2026-11-22T12:00:00.000Z'));
    expect(parseCredentials(serializeCredentials(oauth1))).toEqual(oauth1);
  });

  it('read back an API key and Basic credentials', () => {
    const obtainedAt = new Date('2026-12-03T12:00:00.000Z');
    const apiKey = { type: 'API_KEY', apiKey: 'sk-1', expiresAt: null, obtainedAt, raw: {} } as const;
    const basic = { type: 'BASIC', username: 'ada', password: '', expiresAt: null, obtainedAt, raw: {} } as const;
    expect(parseCredentials(serializeCredentials(apiKey))).toEqual(apiKey);
    expect(parseCredentials(serializeCredentials(basic))).toEqual(basic);
  });

  it.each([
    ['not an object', '[1]', 'not an object'],
    ['an unknown type', JSON.stringify({ ...JSON.parse(serializeCredentials(oauth2)), type: 'APIKEY' }), 'no known type'],
    ['a missing access token', JSON.stringify({ ...JSON.parse(serializeCredentials(oauth2)), accessToken: undefined }), 'accessToken'],
    ['a numeric refresh token', JSON.stringify({ ...JSON.parse(serializeCredentials(oauth2)), refreshToken: 42 }), 'refreshToken'],
    ['scopes that are not strings', JSON.stringify({ ...JSON.parse(serializeCredentials(oauth2)), scopes: [1] }), 'scopes'],
    ['raw as a list', JSON.stringify({ ...JSON.parse(serializeCredentials(oauth2)), raw: [] }), 'raw'],
    ['an API key value without its key', JSON.stringify({ type: 'API_KEY', expiresAt: null, obtainedAt: '2026-11-22T12:00:00.000Z', raw: {} }), 'apiKey'],
    ['a Basic value without its password', JSON.stringify({ type: 'BASIC', username: 'u', expiresAt: null, obtainedAt: '2026-11-22T12:00:00.000Z', raw: {} }), 'password'],
    ['an OAuth 1 value without its secret', JSON.stringify({ type: 'OAUTH1', oauthToken: 't', expiresAt: null, obtainedAt: '2026-11-22T12:00:00.000Z', raw: {} }), 'oauthTokenSecret'],
  ])('refuse %s, naming the field but not the value', (_case, stored, named) => {
    let thrown: unknown;
    try {
      parseCredentials(stored);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoredCredentialsError);
    expect((thrown as Error).message).toContain(named);
    expect((thrown as Error).message).not.toContain('"at"');
  });
});
