DROP INDEX support_sessions_provider_state_idx;
--bun:split
DROP INDEX support_sessions_provider_engineer_idx;
