-- Up Migration
CREATE TABLE connections (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_config_key text NOT NULL REFERENCES provider_configs (key) ON DELETE CASCADE ON UPDATE CASCADE,
  connection_id text NOT NULL,
  -- Serialized credentials (access/refresh token, raw response): text, so that
  -- encryption at rest can replace the content without changing the column.
  credentials text NOT NULL,
  -- Outside the credentials so refresh decisions and indexes need no decryption.
  expires_at timestamptz,
  connection_config jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider_config_key, connection_id)
);

-- One OAuth flow in progress: created by /oauth/connect, consumed once by /oauth/callback.
CREATE TABLE oauth_sessions (
  state text PRIMARY KEY,
  provider_config_key text NOT NULL,
  connection_id text NOT NULL,
  code_verifier text,
  connection_config jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_sessions_expires_at ON oauth_sessions (expires_at);

-- Down Migration
DROP TABLE oauth_sessions;
DROP TABLE connections;
