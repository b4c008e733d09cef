DROP INDEX support_sessions_widget_token_hash_uidx;
--bun:split
ALTER TABLE support_sessions DROP COLUMN widget_token_hash;
--bun:split
ALTER TABLE providers DROP COLUMN widget_help;
--bun:split
ALTER TABLE providers DROP COLUMN widget_origins;
