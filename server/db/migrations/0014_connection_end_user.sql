-- Up Migration
-- The end user the connect session named, kept on the connection its flow
-- wrote (it was only in the connection.created event's data), so that a list
-- can be searched by who a connection is for. Null for connections made
-- without a session naming one.
ALTER TABLE connections
  ADD COLUMN end_user_id text,
  ADD COLUMN end_user_email text,
  ADD COLUMN end_user_display_name text;

-- The connections written before this migration: the end user of their latest
-- creation or re-authorization, while its event is still kept.
UPDATE connections c SET
  end_user_id = e.data -> 'endUser' ->> 'id',
  end_user_email = e.data -> 'endUser' ->> 'email',
  end_user_display_name = e.data -> 'endUser' ->> 'displayName'
FROM (
  SELECT DISTINCT ON (provider_config_key, connection_id) provider_config_key, connection_id, data
  FROM events
  WHERE type IN ('connection.created', 'connection.reauthorized') AND connection_id IS NOT NULL
  ORDER BY provider_config_key, connection_id, id DESC
) e
WHERE c.provider_config_key = e.provider_config_key AND c.connection_id = e.connection_id AND e.data ? 'endUser';

-- Search is by prefix, case-insensitive (connections(search:)): each field
-- its own range of a pattern-ordered index, so a search reads only what
-- matches. The end-user indexes hold only the connections that name one.
CREATE INDEX connections_search_connection_id ON connections (lower(connection_id) text_pattern_ops);
CREATE INDEX connections_search_end_user_id ON connections (lower(end_user_id) text_pattern_ops) WHERE end_user_id IS NOT NULL;
CREATE INDEX connections_search_end_user_email ON connections (lower(end_user_email) text_pattern_ops) WHERE end_user_email IS NOT NULL;
CREATE INDEX connections_search_end_user_name ON connections (lower(end_user_display_name) text_pattern_ops) WHERE end_user_display_name IS NOT NULL;

-- Down Migration
DROP INDEX connections_search_end_user_name;
DROP INDEX connections_search_end_user_email;
DROP INDEX connections_search_end_user_id;
DROP INDEX connections_search_connection_id;
ALTER TABLE connections DROP COLUMN end_user_display_name, DROP COLUMN end_user_email, DROP COLUMN end_user_id;
