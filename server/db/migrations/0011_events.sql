-- Up Migration
-- What happened to connections and provider configs, written by the same
-- statement as the change it reports (an outbox): an event exists exactly when
-- its change was committed. Never a token or a secret: the key, the connection
-- id, and what the type needs (health, error, end user) in data.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The id receivers see (the webhook-id of its deliveries): random, so that a
  -- database rebuilt from scratch never hands out an id a receiver saw before.
  public_id text NOT NULL UNIQUE DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
  type text NOT NULL,
  provider_config_key text NOT NULL,
  connection_id text,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Retention deletes by age; the filters page by id.
CREATE INDEX events_created_at ON events (created_at);
CREATE INDEX events_by_connection ON events (provider_config_key, connection_id, id);

-- Every instance hears of every event at its commit (LISTEN nango_events).
CREATE FUNCTION notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nango_events', NEW.id::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION notify_event();

-- Down Migration
DROP TABLE events;
DROP FUNCTION notify_event();
