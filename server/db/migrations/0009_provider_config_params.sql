-- Up Migration
-- What only the secret-key holder may set on a provider config: the connection
-- params that choose a host (self-managed GitLab's hostname, ...), and extra
-- authorization and token request params (e.g. prompt=consent). String maps.
ALTER TABLE provider_configs
  ADD COLUMN params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  ADD COLUMN authorization_params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(authorization_params) = 'object'),
  ADD COLUMN token_params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(token_params) = 'object');

-- Down Migration
ALTER TABLE provider_configs DROP COLUMN token_params, DROP COLUMN authorization_params, DROP COLUMN params;
