-- Up Migration
-- The format of the sealed values: 1, bound to their column only (a value
-- copied to another row opened there); 2, bound to table, column and row
-- identity. A server re-seals format 1 at start-up, once, and records 2.
ALTER TABLE encryption_state ADD COLUMN format_version integer NOT NULL DEFAULT 1;

-- Down Migration
ALTER TABLE encryption_state DROP COLUMN format_version;
