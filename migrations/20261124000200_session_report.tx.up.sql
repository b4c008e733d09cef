ALTER TABLE support_sessions ADD COLUMN summary TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE support_sessions ADD COLUMN summary_by TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE support_sessions ADD COLUMN summary_at TIMESTAMP;
--bun:split
ALTER TABLE support_sessions ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE support_sessions ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE support_sessions ADD COLUMN rated_at TIMESTAMP;
