// The SQL of oauth_sessions: flows in progress, each consumed at most once, and
// only by the browser that started it.
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { inTransaction } from './pool.js';
import { z } from 'zod';
import { SEALED, SecretBox } from './secret-box.js';

const INITIATORS = ['session', 'public-key', 'open'] as const;
/** Who opened a flow: a connect session, the public key (create-only), or anyone (the `open` policy). */
export type FlowInitiator = (typeof INITIATORS)[number];

const OAuthSessionRow = z.object({
  state: z.string(),
  providerConfigKey: z.string(),
  connectionId: z.string(),
  codeVerifier: z.string().nullable(),
  requestTokenSecret: z.string().nullable(),
  connectionConfig: z.record(z.string(), z.string()),
  initiator: z.enum(INITIATORS),
  connectSessionHash: z.string().nullable(),
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
  initiator: FlowInitiator;
  connectSessionHash: string | null;
  /** SHA-256 of the value of the flow's cookie. */
  browserBinding: string;
  /** The client's address (an IPv6 client's /64), or 'unknown': every flow counts against some client. */
  clientAddress: string;
  ttlSeconds: number;
}

const OpenFlows = z.object({ forConfig: z.number(), forClient: z.number(), forSession: z.number() });

/** The most flows that may be open at once: the page's (per config and per client), and per connect session. */
export interface FlowCaps {
  perConfig: number;
  perClient: number;
  perSession: number;
}

/** Which cap a flow would go over; null when it fits. */
export type CapReached = 'config' | 'client' | 'session' | null;

function capReached(open: { forConfig: number; forClient: number; forSession: number }, flow: Pick<NewOAuthSession, 'connectSessionHash'>, caps: FlowCaps): CapReached {
  if (flow.connectSessionHash ? open.forSession >= caps.perSession : open.forConfig >= caps.perConfig) return flow.connectSessionHash ? 'session' : 'config';
  if (open.forClient >= caps.perClient) return 'client';
  return null;
}

export class OAuthSessionStore {
  constructor(
    private readonly pool: DatabasePool,
    private readonly box: SecretBox = SecretBox.plaintext(),
  ) {}

  /**
   * Records a flow unless it would go over a cap, counting and inserting under
   * advisory locks (the config's, or the connect session's, then the
   * client's), so that a burst of parallel requests cannot all fit. A connect
   * session's flows count against their session, not the config: the page's
   * flows cannot lock the backend's users out.
   */
  async insertWithinCaps(session: NewOAuthSession, caps: FlowCaps): Promise<CapReached> {
    return inTransaction(this.pool, async (transaction) => {
      const scope = session.connectSessionHash ? `flows:session:${session.connectSessionHash}` : `flows:config:${session.providerConfigKey}`;
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${scope}))`);
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`flows:client:${session.clientAddress}`}))`);
      const reached = capReached(await this.openFlows(transaction, session), session, caps);
      if (reached) return reached;
      await transaction.query(sql.unsafe`
        INSERT INTO oauth_sessions (
          state, provider_config_key, connection_id, code_verifier, request_token_secret, connection_config,
          initiator, connect_session_hash, browser_binding, client_address, expires_at
        )
        VALUES (
          ${session.state}, ${session.providerConfigKey}, ${session.connectionId},
          ${session.codeVerifier === null ? null : this.box.seal(session.codeVerifier, SEALED.codeVerifier, session.state)},
          ${session.requestTokenSecret ? this.box.seal(session.requestTokenSecret, SEALED.requestTokenSecret, session.state) : null},
          ${sql.jsonb(session.connectionConfig)}, ${session.initiator}, ${session.connectSessionHash},
          ${session.browserBinding}, ${session.clientAddress}, now() + make_interval(secs => ${session.ttlSeconds})
        )
      `);
      return null;
    });
  }

  /** The caps a new flow would meet, without a lock: a cheap early refusal before any call to the provider. */
  async wouldReachCap(flow: Pick<NewOAuthSession, 'providerConfigKey' | 'connectSessionHash' | 'clientAddress'>, caps: FlowCaps): Promise<CapReached> {
    return capReached(await this.openFlows(this.pool, flow), flow, caps);
  }

  private openFlows(executor: CommonQueryMethods, flow: Pick<NewOAuthSession, 'providerConfigKey' | 'connectSessionHash' | 'clientAddress'>) {
    return executor.one(sql.type(OpenFlows)`
      SELECT
        count(*) FILTER (WHERE provider_config_key = ${flow.providerConfigKey} AND connect_session_hash IS NULL)::int AS "forConfig",
        count(*) FILTER (WHERE client_address = ${flow.clientAddress})::int AS "forClient",
        count(*) FILTER (WHERE connect_session_hash = ${flow.connectSessionHash})::int AS "forSession"
      FROM oauth_sessions
      WHERE expires_at > now()
        AND (provider_config_key = ${flow.providerConfigKey} OR client_address = ${flow.clientAddress} OR connect_session_hash = ${flow.connectSessionHash})
    `);
  }

  /**
   * Deletes and returns the session of `state` if `browserBinding` is the
   * binding of the browser that started it: a second call finds nothing, even
   * when two callbacks race, and a callback from another browser consumes
   * nothing. Expired sessions are consumed too.
   */
  async consume(state: string, browserBinding: string): Promise<OAuthSession | null> {
    const row = await this.pool.maybeOne(sql.type(OAuthSessionRow)`
      DELETE FROM oauth_sessions WHERE state = ${state} AND browser_binding = ${browserBinding}
      RETURNING
        state,
        provider_config_key AS "providerConfigKey",
        connection_id AS "connectionId",
        code_verifier AS "codeVerifier",
        request_token_secret AS "requestTokenSecret",
        connection_config AS "connectionConfig",
        initiator,
        connect_session_hash AS "connectSessionHash",
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
