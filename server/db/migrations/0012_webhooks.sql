-- Up Migration
-- Webhook endpoints and the delivery of each event to each of them. A delivery
-- is created by the same transaction as its event (a trigger on events), so an
-- event is never committed without the deliveries it owes; instances claim the
-- due ones (FOR UPDATE SKIP LOCKED) and record each attempt.
CREATE TABLE webhook_endpoints (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id text NOT NULL UNIQUE DEFAULT ('whe_' || replace(gen_random_uuid()::text, '-', '')),
  url text NOT NULL,
  -- The event types it receives; empty: every type.
  events text[] NOT NULL DEFAULT '{}',
  description text,
  -- whsec_…, sealed when an encryption key is set.
  secret text NOT NULL,
  -- Set when the receiver answered 410 Gone, or by an update: no new deliveries, pending ones end.
  disabled_at timestamptz,
  disabled_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id text NOT NULL UNIQUE DEFAULT ('whd_' || replace(gen_random_uuid()::text, '-', '')),
  endpoint_id bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  -- PENDING until a 2xx (SUCCEEDED) or until it is given up (FAILED: retries over, endpoint gone or disabled).
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claim uuid,
  claimed_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  -- Null when no answer came (timeout, refused connection).
  status_code integer,
  latency_ms integer NOT NULL,
  error text
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

CREATE FUNCTION fan_out_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (endpoint_id, event_id)
  SELECT id, NEW.id FROM webhook_endpoints
  WHERE disabled_at IS NULL AND (events = '{}' OR NEW.type = ANY (events));
  RETURN NULL;
END
$$;
CREATE TRIGGER events_fan_out AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION fan_out_event();

-- Down Migration
DROP TRIGGER events_fan_out ON events;
DROP FUNCTION fan_out_event();
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
