-- Consent becomes a set of grants the agent reports ("view,control"); the
-- server records it and can no longer grant anything itself.
ALTER TABLE support_sessions ADD COLUMN grants TEXT NOT NULL DEFAULT '';
--bun:split
UPDATE support_sessions SET grants = CASE consent_level WHEN 'view' THEN 'view' WHEN 'control' THEN 'view,control' ELSE '' END;
--bun:split
ALTER TABLE support_sessions DROP COLUMN consent_level;
--bun:split
-- Which server instance holds the agent's connection: a restart interrupts
-- only its own sessions. '' is a session from before instances were known.
ALTER TABLE support_sessions ADD COLUMN agent_instance TEXT NOT NULL DEFAULT '';
--bun:split
-- When the agent of a joined session went away; the sweeper ends the
-- session once the rejoin grace has passed without it coming back.
ALTER TABLE support_sessions ADD COLUMN agent_lost_at TIMESTAMP NULL;
--bun:split
CREATE INDEX support_sessions_agent_lost_idx ON support_sessions (state, agent_lost_at);
--bun:split
-- A deactivated user cannot sign in, and their open pages are closed.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP NULL;
--bun:split
-- Rate limits shared by every instance: one GCRA "theoretical arrival
-- time" per key, in microseconds since the Unix epoch.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
--bun:split
-- Failed sign-ins per account (keyed by a hash of the email, known or not),
-- for the backoff after repeated failures.
CREATE TABLE sign_in_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      TIMESTAMP NOT NULL,
    locked_until TIMESTAMP NULL
);
--bun:split
-- One row once setup has run: its primary key makes setup happen once,
-- whatever races.
CREATE TABLE installation (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    set_up_at TIMESTAMP NOT NULL
);
--bun:split
INSERT INTO installation (id, set_up_at) SELECT 1, MIN(created_at) FROM providers HAVING COUNT(*) > 0;
