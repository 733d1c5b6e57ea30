// Connect sessions: the backend's permission for one end user's browser to
// authorize one connection. The backend creates one (secret key) and hands
// its token to the page; /oauth/connect accepts the token in place of any key,
// and the flow that completes with it consumes it. Only the token's SHA-256 is
// stored, so a database dump holds no usable token.
import { createHash, randomBytes } from 'node:crypto';
import type { ConnectSessionStore, EndUser } from '../db/connect-session-store.js';
import { AppError, invalidInput } from './errors.js';
import { checkConnectionId, checkIdentifier, checkParams, hasControlCharacters } from './identifiers.js';

export type { EndUser };

/** A live session, as /oauth/connect receives it from the principal. */
export interface ConnectSession {
  tokenHash: string;
  providerConfigKey: string;
  connectionId: string;
  endUser: EndUser | null;
  /** The connection params the backend fixed. */
  params: Record<string, string>;
  expiresAt: Date;
}

export interface CreateConnectSessionInput {
  providerConfigKey: string;
  connectionId: string;
  endUser?: { id: string; email?: string | null | undefined; displayName?: string | null | undefined } | null | undefined;
  params?: Record<string, string> | null | undefined;
}

export interface CreatedConnectSession {
  /** Shown once: hand it to the page, which passes it to the frontend SDK. */
  token: string;
  expiresAt: Date;
  /** The connect URL with the token, to open in a popup or send to the end user. */
  connectUrl: string;
}

export const CONNECT_SESSION_TTL_SECONDS = 30 * 60;
const TOKEN_PREFIX = 'ncs_';
const TOKEN_SHAPE = /^ncs_[A-Za-z0-9_-]{43}$/;
const MAX_END_USER_FIELD = 255;
const MAX_EMAIL = 320;

/** The Connect UI's address for a session's connection (the page the frontend SDK's popup opens). */
export function connectPath(session: Pick<ConnectSession, 'providerConfigKey' | 'connectionId'>, token: string): string {
  const query = new URLSearchParams({ connection_id: session.connectionId, connect_session_token: token });
  return `/oauth/connect/${encodeURIComponent(session.providerConfigKey)}?${query.toString()}`;
}

export function connectSessionTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ConnectSessions {
  constructor(
    private readonly store: ConnectSessionStore,
    private readonly options: { serverUrl: string; ttlSeconds?: number },
  ) {}

  async create(input: CreateConnectSessionInput): Promise<CreatedConnectSession> {
    checkIdentifier('providerConfigKey', input.providerConfigKey);
    checkConnectionId(input.connectionId);
    const params = input.params ?? {};
    checkParams(params);
    const endUser = input.endUser ? checkEndUser(input.endUser) : null;
    // Each new session sweeps the expired ones: abandoned sessions do not pile up.
    await this.store.deleteExpired();
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const created = await this.store.insert({
      tokenHash: connectSessionTokenHash(token),
      providerConfigKey: input.providerConfigKey,
      connectionId: input.connectionId,
      endUser,
      connectionConfig: params,
      ttlSeconds: this.options.ttlSeconds ?? CONNECT_SESSION_TTL_SECONDS,
    });
    if (!created) {
      throw new AppError('unknown_provider_config', `No provider config with key "${input.providerConfigKey}".`, { key: input.providerConfigKey });
    }
    return { token, expiresAt: created.expiresAt, connectUrl: `${this.options.serverUrl}${connectPath(input, token)}` };
  }

  /** The live session of `token`; null when it is malformed, unknown, consumed or expired. */
  async verify(token: string): Promise<ConnectSession | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const record = await this.store.findLive(connectSessionTokenHash(token));
    if (!record) return null;
    return {
      tokenHash: record.tokenHash,
      providerConfigKey: record.providerConfigKey,
      connectionId: record.connectionId,
      endUser: record.endUser,
      params: record.connectionConfig,
      expiresAt: record.expiresAt,
    };
  }
}

function checkEndUser(endUser: NonNullable<CreateConnectSessionInput['endUser']>): EndUser {
  const text = (field: string, value: string | null | undefined, max: number): string | null => {
    if (value === undefined || value === null) return null;
    const trimmed = value.trim();
    if (trimmed.length === 0) throw invalidInput(field, 'must not be empty');
    if (trimmed.length > max) throw invalidInput(field, `must be at most ${max} characters`);
    if (hasControlCharacters(trimmed)) throw invalidInput(field, 'must not contain control characters');
    return trimmed;
  };
  const id = text('endUser.id', endUser.id, MAX_END_USER_FIELD);
  if (id === null) throw invalidInput('endUser.id', 'is required');
  const email = text('endUser.email', endUser.email, MAX_EMAIL);
  if (email !== null && !/^[^\s@]+@[^\s@]+$/.test(email)) throw invalidInput('endUser.email', 'must be an email address');
  return { id, email, displayName: text('endUser.displayName', endUser.displayName, MAX_END_USER_FIELD) };
}
