DROP INDEX support_sessions_idle_idx;
--bun:split
DROP INDEX support_sessions_deadline_idx;
--bun:split
ALTER TABLE support_sessions DROP COLUMN paused;
--bun:split
ALTER TABLE support_sessions DROP COLUMN warned_for;
--bun:split
ALTER TABLE support_sessions DROP COLUMN idle_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN last_activity_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN deadline_at;
