// The SQL of oauth_sessions: flows in progress, each consumed at most once.
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { SEALED, SecretBox } from './secret-box.js';

const OAuthSessionRow = z.object({
  state: z.string(),
  providerConfigKey: z.string(),
  connectionId: z.string(),
  codeVerifier: z.string().nullable(),
  requestTokenSecret: z.string().nullable(),
  connectionConfig: z.record(z.string(), z.string()),
  expired: z.boolean(),
});

export type OAuthSession = z.infer<typeof OAuthSessionRow>;

export interface NewOAuthSession {
  /** The OAuth 2 state, or the OAuth 1 request token. */
  state: string;
  providerConfigKey: string;
  connectionId: string;
  codeVerifier: string | null;
  requestTokenSecret?: string | null;
  connectionConfig: Record<string, string>;
  ttlSeconds: number;
}

export class OAuthSessionStore {
  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox = SecretBox.plaintext(),
  ) {}

  async insert(session: NewOAuthSession): Promise<void> {
    await this.pool.query(sql.unsafe`
      INSERT INTO oauth_sessions (state, provider_config_key, connection_id, code_verifier, request_token_secret, connection_config, expires_at)
      VALUES (
        ${session.state}, ${session.providerConfigKey}, ${session.connectionId},
        ${session.codeVerifier === null ? null : this.box.seal(session.codeVerifier, SEALED.codeVerifier, session.state)},
        ${session.requestTokenSecret ? this.box.seal(session.requestTokenSecret, SEALED.requestTokenSecret, session.state) : null},
        ${sql.jsonb(session.connectionConfig)}, now() + make_interval(secs => ${session.ttlSeconds})
      )
    `);
  }

  /**
   * Deletes and returns the session: a second call with the same state finds
   * nothing, even when two callbacks race. Expired sessions are consumed too.
   */
  async consume(state: string): Promise<OAuthSession | null> {
    const row = await this.pool.maybeOne(sql.type(OAuthSessionRow)`
      DELETE FROM oauth_sessions WHERE state = ${state}
      RETURNING
        state,
        provider_config_key AS "providerConfigKey",
        connection_id AS "connectionId",
        code_verifier AS "codeVerifier",
        request_token_secret AS "requestTokenSecret",
        connection_config AS "connectionConfig",
        expires_at <= now() AS expired
    `);
    return (
      row && {
        ...row,
        codeVerifier: row.codeVerifier === null ? null : this.box.open(row.codeVerifier, SEALED.codeVerifier, row.state),
        requestTokenSecret: row.requestTokenSecret === null ? null : this.box.open(row.requestTokenSecret, SEALED.requestTokenSecret, row.state),
      }
    );
  }

  /** Removes sessions that expired, so abandoned flows do not pile up. */
  async deleteExpired(): Promise<void> {
    await this.pool.query(sql.unsafe`DELETE FROM oauth_sessions WHERE expires_at <= now()`);
  }
}
