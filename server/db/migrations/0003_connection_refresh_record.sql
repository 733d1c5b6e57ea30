-- Up Migration
ALTER TABLE connections
  ADD COLUMN last_refresh_success_at timestamptz,
  ADD COLUMN last_refresh_failure_at timestamptz,
  ADD COLUMN last_refresh_failure_code text,
  ADD COLUMN last_refresh_failure_description text;

-- Down Migration
ALTER TABLE connections
  DROP COLUMN last_refresh_success_at,
  DROP COLUMN last_refresh_failure_at,
  DROP COLUMN last_refresh_failure_code,
  DROP COLUMN last_refresh_failure_description;
