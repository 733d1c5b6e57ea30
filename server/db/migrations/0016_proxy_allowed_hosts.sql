-- Up Migration
-- The hosts besides its base URL's to which a proxied request of this config
-- may be sent with the Base-Url-Override header (e.g. uploads.github.com):
-- credentials go wherever the proxy sends, so the operator names each one.
ALTER TABLE provider_configs ADD COLUMN proxy_allowed_hosts text[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE provider_configs DROP COLUMN proxy_allowed_hosts;
