-- Up Migration
-- Config keys and connection ids never hold control characters: every face has
-- refused them since the first release (server/core/identifiers.ts). The
-- database now holds to it as well, because a page of the list is read as one
-- text in which tabs and line feeds separate the fields (connection-store.ts).
ALTER TABLE provider_configs ADD CONSTRAINT provider_configs_key_printable CHECK (key !~ '[\x01-\x1f\x7f]');
ALTER TABLE connections ADD CONSTRAINT connections_connection_id_printable CHECK (connection_id !~ '[\x01-\x1f\x7f]');

-- Down Migration
ALTER TABLE connections DROP CONSTRAINT connections_connection_id_printable;
ALTER TABLE provider_configs DROP CONSTRAINT provider_configs_key_printable;
