-- Up Migration
-- Which key the secrets at rest are encrypted with (a fingerprint, never the key).
-- No row: nothing is encrypted yet.
CREATE TABLE encryption_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  key_fingerprint text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE encryption_state;
