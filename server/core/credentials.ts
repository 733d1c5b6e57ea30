// Credentials as the domain sees them, normalized from a provider's token
// response, and their serialized form in the connections table.
import { valueAt } from '../providers/token-conformer.js';
import { AppError } from './errors.js';

export interface OAuth2Credentials {
  type: 'OAUTH2';
  accessToken: string;
  refreshToken: string | null;
  tokenType: string | null;
  scopes: string[];
  /** Null when the provider gave no expiry. */
  expiresAt: Date | null;
  /** When these tokens were issued: with expiresAt, the token's lifetime. */
  obtainedAt: Date;
  /** The provider's token response as it came. */
  raw: Record<string, unknown>;
}

/** OAuth 1.0a tokens do not expire and are never refreshed. */
export interface OAuth1Credentials {
  type: 'OAUTH1';
  oauthToken: string;
  oauthTokenSecret: string;
  expiresAt: null;
  obtainedAt: Date;
  raw: Record<string, unknown>;
}

/** An API key the end user or the backend gave: it neither expires nor refreshes. */
export interface ApiKeyCredentials {
  type: 'API_KEY';
  apiKey: string;
  expiresAt: null;
  obtainedAt: Date;
  raw: Record<string, unknown>;
}

/** A username and password (HTTP Basic): they neither expire nor refresh. */
export interface BasicCredentials {
  type: 'BASIC';
  username: string;
  /** Empty for the APIs that take a key as the username and no password. */
  password: string;
  expiresAt: null;
  obtainedAt: Date;
  raw: Record<string, unknown>;
}

/** A token of the OAuth 2 client credentials grant: obtained again (never refreshed) before it expires. */
export interface ClientCredentialsToken {
  type: 'OAUTH2_CC';
  token: string;
  tokenType: string | null;
  scopes: string[];
  expiresAt: Date | null;
  obtainedAt: Date;
  raw: Record<string, unknown>;
}

/** A GitHub App installation access token: minted again with the app's key before its hour ends. */
export interface AppCredentials {
  type: 'APP';
  accessToken: string;
  expiresAt: Date | null;
  obtainedAt: Date;
  raw: Record<string, unknown>;
}

export type Credentials = OAuth2Credentials | OAuth1Credentials | ApiKeyCredentials | BasicCredentials | ClientCredentialsToken | AppCredentials;

/** The credentials that expire and are renewed: refreshed (OAuth 2) or obtained again (client credentials, App). */
export type RenewableCredentials = OAuth2Credentials | ClientCredentialsToken | AppCredentials;

/** The credentials that are renewed (the others do not expire). */
export function refreshable(credentials: Credentials): credentials is RenewableCredentials {
  return credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC' || credentials.type === 'APP';
}

export function serializeCredentials(credentials: Credentials): string {
  return JSON.stringify({
    ...credentials,
    expiresAt: credentials.expiresAt?.toISOString() ?? null,
    obtainedAt: credentials.obtainedAt.toISOString(),
  });
}

/** A stored value that is not what serializeCredentials wrote: never expected, so an internal error. */
export class StoredCredentialsError extends Error {
  override name = 'StoredCredentialsError';
}

/**
 * The stored form back into credentials. It runs on every token read, so the
 * shape is checked by hand rather than by a zod model (a tenth of the read's
 * time); the message names the field, never its value.
 */
export function parseCredentials(serialized: string): Credentials {
  const stored: unknown = JSON.parse(serialized);
  if (!isRecord(stored)) throw new StoredCredentialsError('stored credentials are not an object');
  const raw = field(stored, 'raw', isRecord);
  const obtainedAt = new Date(field(stored, 'obtainedAt', isString));
  // OAuth 2 first: nearly every token read is one.
  if (stored.type === 'OAUTH2' || stored.type === 'OAUTH2_CC') {
    const scopes = field(stored, 'scopes', Array.isArray);
    if (!scopes.every(isString)) throw new StoredCredentialsError('stored credentials: scopes is not a list of strings');
    const expiresAt = expiryField(stored);
    const tokenType = field(stored, 'tokenType', isNullableString);
    if (stored.type === 'OAUTH2_CC') return { type: 'OAUTH2_CC', token: field(stored, 'token', isString), tokenType, scopes, expiresAt, obtainedAt, raw };
    return { type: 'OAUTH2', accessToken: field(stored, 'accessToken', isString), refreshToken: field(stored, 'refreshToken', isNullableString), tokenType, scopes, expiresAt, obtainedAt, raw };
  }
  if (stored.type === 'OAUTH1') {
    return { type: 'OAUTH1', oauthToken: field(stored, 'oauthToken', isString), oauthTokenSecret: field(stored, 'oauthTokenSecret', isString), expiresAt: null, obtainedAt, raw };
  }
  if (stored.type === 'API_KEY') return { type: 'API_KEY', apiKey: field(stored, 'apiKey', isString), expiresAt: null, obtainedAt, raw };
  if (stored.type === 'BASIC') {
    return { type: 'BASIC', username: field(stored, 'username', isString), password: field(stored, 'password', isString), expiresAt: null, obtainedAt, raw };
  }
  if (stored.type === 'APP') return { type: 'APP', accessToken: field(stored, 'accessToken', isString), expiresAt: expiryField(stored), obtainedAt, raw };
  throw new StoredCredentialsError('stored credentials have no known type');
}

function expiryField(stored: Record<string, unknown>): Date | null {
  const text = field(stored, 'expiresAt', isNullableString);
  return text === null ? null : new Date(text);
}

function field<T>(stored: Record<string, unknown>, name: string, is: (value: unknown) => value is T): T {
  const value = stored[name];
  if (!is(value)) throw new StoredCredentialsError(`stored credentials: ${name} is missing or of the wrong type`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNullableString = (value: unknown): value is string | null => value === null || typeof value === 'string';
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function oauth1Credentials(token: string, tokenSecret: string, raw: Record<string, unknown>, now: Date): OAuth1Credentials {
  return { type: 'OAUTH1', oauthToken: token, oauthTokenSecret: tokenSecret, expiresAt: null, obtainedAt: now, raw };
}

export interface NormalizeOptions {
  now: Date;
  /** Used when the response does not say which scopes were granted. */
  requestedScopes: string[];
  scopeSeparator: string;
  /** Where the access token is when not at the top level (Slack's authed_user.access_token). */
  accessTokenPath?: string | null;
}

export function credentialsFromTokenResponse(raw: Record<string, unknown>, options: NormalizeOptions): OAuth2Credentials {
  const nested = options.accessTokenPath ? valueAt(raw, options.accessTokenPath) : undefined;
  // A template that names a path means that token (Slack's user token, not its bot token).
  const accessToken = typeof nested === 'string' && nested ? nested : raw.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new AppError('token_error', 'The provider answered without an access token.');
  }
  return {
    type: 'OAUTH2',
    accessToken,
    refreshToken: typeof raw.refresh_token === 'string' && raw.refresh_token ? raw.refresh_token : null,
    tokenType: typeof raw.token_type === 'string' ? raw.token_type : null,
    scopes: grantedScopes(raw.scope, options),
    expiresAt: expiryOf(raw, options.now),
    obtainedAt: options.now,
    raw,
  };
}

/** A client credentials grant's answer as stored credentials (no refresh token: the grant is made again). */
export function clientCredentialsFromTokenResponse(raw: Record<string, unknown>, options: NormalizeOptions): ClientCredentialsToken {
  const { accessToken, tokenType, scopes, expiresAt } = credentialsFromTokenResponse(raw, options);
  return { type: 'OAUTH2_CC', token: accessToken, tokenType, scopes, expiresAt, obtainedAt: options.now, raw };
}

/** What serves as the token of renewable credentials (the token a caller sends). */
export function accessTokenOf(credentials: RenewableCredentials): string {
  return credentials.type === 'OAUTH2_CC' ? credentials.token : credentials.accessToken;
}

/** An expiry the provider wrote as a date or seconds (GitHub's expires_at is ISO 8601). */
export function expiryFromAnswer(raw: Record<string, unknown>, now: Date): Date | null {
  return expiryOf(raw, now);
}

function grantedScopes(scope: unknown, options: NormalizeOptions): string[] {
  if (Array.isArray(scope)) return scope.filter((item): item is string => typeof item === 'string');
  if (typeof scope !== 'string' || scope.trim() === '') return options.requestedScopes;
  const separator = scope.includes(options.scopeSeparator) ? options.scopeSeparator : /[\s,]+/;
  return scope.split(separator).map((item) => item.trim()).filter(Boolean);
}

/** From expires_in (seconds, number or numeric string), else an absolute expires_at, else none. */
function expiryOf(raw: Record<string, unknown>, now: Date): Date | null {
  const expiresIn = typeof raw.expires_in === 'string' ? Number(raw.expires_in) : raw.expires_in;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) {
    return new Date(now.getTime() + expiresIn * 1000);
  }
  const expiresAt = raw.expires_at;
  if (typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt > 0) {
    // Seconds since the epoch unless it is clearly milliseconds.
    return new Date(expiresAt > 1e12 ? expiresAt : expiresAt * 1000);
  }
  if (typeof expiresAt === 'string' && expiresAt.trim() !== '') {
    const parsed = /^\d+$/.test(expiresAt) ? new Date(Number(expiresAt) * 1000) : new Date(expiresAt);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return null;
}
