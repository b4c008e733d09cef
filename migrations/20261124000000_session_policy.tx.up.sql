ALTER TABLE providers ADD COLUMN session_max_minutes INTEGER NOT NULL DEFAULT 120;
--bun:split
ALTER TABLE providers ADD COLUMN idle_timeout_minutes INTEGER NOT NULL DEFAULT 30;
--bun:split
ALTER TABLE providers ADD COLUMN recording BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE providers ADD COLUMN recording_retention_days INTEGER NOT NULL DEFAULT 30;
--bun:split
ALTER TABLE providers ADD COLUMN file_max_mb INTEGER NOT NULL DEFAULT 2048;
