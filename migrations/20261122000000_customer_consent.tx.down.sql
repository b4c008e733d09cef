DROP TABLE installation;
--bun:split
DROP TABLE sign_in_failures;
--bun:split
DROP TABLE rate_limits;
--bun:split
ALTER TABLE users DROP COLUMN disabled_at;
--bun:split
DROP INDEX support_sessions_agent_lost_idx;
--bun:split
ALTER TABLE support_sessions DROP COLUMN agent_lost_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN agent_instance;
--bun:split
ALTER TABLE support_sessions ADD COLUMN consent_level TEXT NOT NULL DEFAULT '' CHECK (consent_level IN ('', 'view', 'control'));
--bun:split
UPDATE support_sessions SET consent_level = CASE WHEN grants LIKE '%control%' THEN 'control' WHEN grants <> '' THEN 'view' ELSE '' END;
--bun:split
ALTER TABLE support_sessions DROP COLUMN grants;
