ALTER TABLE support_sessions ADD COLUMN deadline_at TIMESTAMP NULL;
--bun:split
ALTER TABLE support_sessions ADD COLUMN last_activity_at TIMESTAMP NULL;
--bun:split
ALTER TABLE support_sessions ADD COLUMN idle_at TIMESTAMP NULL;
--bun:split
ALTER TABLE support_sessions ADD COLUMN warned_for TIMESTAMP NULL;
--bun:split
ALTER TABLE support_sessions ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
CREATE INDEX support_sessions_deadline_idx ON support_sessions (state, deadline_at);
--bun:split
CREATE INDEX support_sessions_idle_idx ON support_sessions (state, idle_at);
