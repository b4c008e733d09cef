-- The connection history (issue 10) filters a provider's sessions by engineer and by state, newest
-- first; created_at alone is support_sessions_provider_created_idx.
CREATE INDEX support_sessions_provider_engineer_idx ON support_sessions (provider_id, engineer_id, created_at);
--bun:split
CREATE INDEX support_sessions_provider_state_idx ON support_sessions (provider_id, state, created_at);
