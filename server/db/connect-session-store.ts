// The SQL of connect_sessions: the backend's permissions for one flow each,
// found by the SHA-256 of their token (the token itself is never stored).
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';

const EndUser = z.object({ id: z.string(), email: z.string().nullable(), displayName: z.string().nullable() });

const ConnectSessionRow = z.object({
  tokenHash: z.string(),
  providerConfigKey: z.string(),
  connectionId: z.string(),
  endUser: EndUser.nullable(),
  connectionConfig: z.record(z.string(), z.string()),
  expiresAt: z.number().transform((ms) => new Date(ms)),
});

export type EndUser = z.infer<typeof EndUser>;
export type ConnectSessionRecord = z.infer<typeof ConnectSessionRow>;

export interface NewConnectSession {
  tokenHash: string;
  providerConfigKey: string;
  connectionId: string;
  endUser: EndUser | null;
  connectionConfig: Record<string, string>;
  ttlSeconds: number;
}

const COLUMNS = sql.fragment`
  token_hash AS "tokenHash",
  provider_config_key AS "providerConfigKey",
  connection_id AS "connectionId",
  end_user AS "endUser",
  connection_config AS "connectionConfig",
  expires_at AS "expiresAt"
`;

const Consumed = z.object({ endUser: EndUser.nullable() });

export class ConnectSessionStore {
  constructor(private readonly pool: DatabasePool) {}

  /** Null when the config does not exist (the foreign key refused the row). */
  insert(session: NewConnectSession): Promise<ConnectSessionRecord | null> {
    return this.pool.maybeOne(sql.type(ConnectSessionRow)`
      INSERT INTO connect_sessions (token_hash, provider_config_key, connection_id, end_user, connection_config, expires_at)
      SELECT ${session.tokenHash}, key, ${session.connectionId},
        ${session.endUser ? sql.jsonb(session.endUser) : null}, ${sql.jsonb(session.connectionConfig)},
        now() + make_interval(secs => ${session.ttlSeconds})
      FROM provider_configs WHERE key = ${session.providerConfigKey}
      RETURNING ${COLUMNS}
    `);
  }

  /** The session if it exists and has not expired. */
  findLive(tokenHash: string): Promise<ConnectSessionRecord | null> {
    return this.pool.maybeOne(sql.type(ConnectSessionRow)`
      SELECT ${COLUMNS} FROM connect_sessions WHERE token_hash = ${tokenHash} AND expires_at > now()
    `);
  }

  /**
   * Deletes the live session, inside the transaction that stores the
   * connection it allowed (its end user, for the connection's event): null
   * when another flow consumed it first or it expired.
   */
  async consume(transaction: CommonQueryMethods, tokenHash: string): Promise<{ endUser: EndUser | null } | null> {
    return transaction.maybeOne(sql.type(Consumed)`
      DELETE FROM connect_sessions WHERE token_hash = ${tokenHash} AND expires_at > now() RETURNING end_user AS "endUser"
    `);
  }

  async deleteExpired(): Promise<void> {
    await this.pool.query(sql.unsafe`DELETE FROM connect_sessions WHERE expires_at <= now()`);
  }
}
