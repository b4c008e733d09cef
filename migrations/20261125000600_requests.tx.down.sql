DROP INDEX IF EXISTS support_sessions_queue_idx;
--bun:split
ALTER TABLE providers DROP COLUMN request_timeout_minutes;
