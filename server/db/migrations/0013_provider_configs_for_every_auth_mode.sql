-- Up Migration
-- Configs of API key and Basic templates hold no client credentials (the key or
-- password is each connection's own); a GitHub App config keeps its app id in
-- client_id and its private key (PEM) in client_secret, sealed like a secret.
-- base_url: where the API of a generic template (custom-api-key, ...) is called,
-- or a GitHub Enterprise Server's API.
ALTER TABLE provider_configs
  ALTER COLUMN client_id DROP NOT NULL,
  ALTER COLUMN client_secret DROP NOT NULL,
  ADD COLUMN base_url text;

-- Down Migration
ALTER TABLE provider_configs DROP COLUMN base_url;
ALTER TABLE provider_configs ALTER COLUMN client_id SET NOT NULL, ALTER COLUMN client_secret SET NOT NULL;
