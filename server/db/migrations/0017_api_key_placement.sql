-- Up Migration
-- Where a custom-api-key config's API takes its key ({ "in": "header"|"query",
-- "name", "format" with ${apiKey} }); null: the template's (Authorization: Bearer).
ALTER TABLE provider_configs ADD COLUMN api_key_placement jsonb;

-- Down Migration
ALTER TABLE provider_configs DROP COLUMN api_key_placement;
