-- Up Migration
CREATE TABLE provider_configs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL UNIQUE,
  provider text NOT NULL,
  client_id text NOT NULL,
  client_secret text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  -- Per-config endpoints: given by the user (custom) or found by discovery (oidc).
  authorization_url text,
  token_url text,
  issuer text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE provider_configs;
