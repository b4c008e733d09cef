ALTER TABLE providers DROP COLUMN file_max_mb;
--bun:split
ALTER TABLE providers DROP COLUMN recording_retention_days;
--bun:split
ALTER TABLE providers DROP COLUMN recording;
--bun:split
ALTER TABLE providers DROP COLUMN idle_timeout_minutes;
--bun:split
ALTER TABLE providers DROP COLUMN session_max_minutes;
