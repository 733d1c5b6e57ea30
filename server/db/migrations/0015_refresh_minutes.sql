-- Up Migration
-- Refreshes per minute, for the dashboard's last hour: each instance counts its
-- own in memory and adds them here every few seconds (and before it answers a
-- read of them), so the sum over instances is the service's. A refresh's own
-- write stays untouched: counting there would make every refresh in a minute
-- wait on this one row's lock.
CREATE TABLE refresh_minutes (
  minute timestamptz PRIMARY KEY,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0
);

-- Down Migration
DROP TABLE refresh_minutes;
