-- Up Migration
-- Refresh by lease, not by a held lock: a refresh claims the row (claim id,
-- claimed until) in a short statement, calls the provider holding no database
-- connection, and writes its answer only if the credentials are still the
-- version it claimed. A claim whose holder died expires, and the next claim
-- knows it took over (the outcome of the lost call is unknown).
ALTER TABLE connections
  ADD COLUMN credentials_version bigint NOT NULL DEFAULT 1,
  ADD COLUMN refresh_claim uuid,
  ADD COLUMN refresh_claimed_until timestamptz,
  -- When the scheduler refreshes ahead: the refresh window before expiry, or
  -- sooner when the refresh token would idle-expire. NULL: never (OAuth 1, no expiry).
  ADD COLUMN refresh_due_at timestamptz,
  -- HEALTHY, REFRESH_FAILING (retried with backoff), NEEDS_REAUTH (the end user must connect again).
  ADD COLUMN health text NOT NULL DEFAULT 'HEALTHY' CHECK (health IN ('HEALTHY', 'REFRESH_FAILING', 'NEEDS_REAUTH')),
  ADD COLUMN health_since timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN health_code text,
  ADD COLUMN health_description text,
  -- Failed refreshes in a row, and when the next may be tried (exponential backoff).
  ADD COLUMN refresh_failures integer NOT NULL DEFAULT 0,
  ADD COLUMN next_refresh_attempt_at timestamptz;

-- Connections stored before: due 15 minutes before expiry (the default window) until their next write says better.
UPDATE connections SET refresh_due_at = expires_at - interval '15 minutes' WHERE expires_at IS NOT NULL;

-- What the scheduler claims, soonest first; connections that need their user are left alone.
CREATE INDEX connections_refresh_due ON connections (refresh_due_at) WHERE refresh_due_at IS NOT NULL AND health <> 'NEEDS_REAUTH';
-- The connections that need attention, for the health filter and the gauge.
CREATE INDEX connections_unhealthy ON connections (health, id) WHERE health <> 'HEALTHY';

-- Down Migration
DROP INDEX connections_unhealthy;
DROP INDEX connections_refresh_due;
ALTER TABLE connections
  DROP COLUMN next_refresh_attempt_at,
  DROP COLUMN refresh_failures,
  DROP COLUMN health_description,
  DROP COLUMN health_code,
  DROP COLUMN health_since,
  DROP COLUMN health,
  DROP COLUMN refresh_due_at,
  DROP COLUMN refresh_claimed_until,
  DROP COLUMN refresh_claim,
  DROP COLUMN credentials_version;
