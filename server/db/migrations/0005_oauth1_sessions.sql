-- Up Migration
-- OAuth 1.0a flows: the session is keyed by the request token (in `state`), and
-- keeps the request token's secret (encrypted at rest like the PKCE verifier).
ALTER TABLE oauth_sessions ADD COLUMN request_token_secret text;

-- Down Migration
ALTER TABLE oauth_sessions DROP COLUMN request_token_secret;
