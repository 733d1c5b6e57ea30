-- Up Migration
-- A connect session: the backend's permission for one end user's browser to
-- authorize one connection. Only the token's SHA-256 is kept; the flow that
-- completes with it deletes it.
CREATE TABLE connect_sessions (
  token_hash text PRIMARY KEY,
  provider_config_key text NOT NULL REFERENCES provider_configs (key) ON DELETE CASCADE ON UPDATE CASCADE,
  connection_id text NOT NULL,
  end_user jsonb,
  -- The connection params the backend fixed: the browser cannot change them.
  connection_config jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX connect_sessions_expires_at ON connect_sessions (expires_at);

-- Who opened each flow, and the browser it belongs to.
ALTER TABLE oauth_sessions
  -- 'session' (a connect session's, whose hash follows), 'public-key' or 'open'.
  ADD COLUMN initiator text NOT NULL DEFAULT 'open',
  ADD COLUMN connect_session_hash text,
  -- SHA-256 of the random value in the flow's cookie: the callback must bring the cookie.
  ADD COLUMN browser_binding text,
  -- For the cap on open flows per client address.
  ADD COLUMN client_address text;
CREATE INDEX oauth_sessions_provider_config_key ON oauth_sessions (provider_config_key);
CREATE INDEX oauth_sessions_client_address ON oauth_sessions (client_address);

-- Down Migration
DROP INDEX oauth_sessions_client_address;
DROP INDEX oauth_sessions_provider_config_key;
ALTER TABLE oauth_sessions DROP COLUMN client_address, DROP COLUMN browser_binding, DROP COLUMN connect_session_hash, DROP COLUMN initiator;
DROP TABLE connect_sessions;
