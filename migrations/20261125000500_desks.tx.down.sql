DROP INDEX support_sessions_desk_state_idx;
--bun:split
ALTER TABLE desks DROP COLUMN default_grants;
--bun:split
ALTER TABLE desks DROP COLUMN allowed_grants;
--bun:split
DROP INDEX desks_provider_name_uidx;
--bun:split
-- Deleted desks' sessions go back to their provider's default desk.
UPDATE support_sessions SET desk_id = (SELECT d.id FROM desks d WHERE d.provider_id = support_sessions.provider_id AND d.is_default) WHERE desk_id IN (SELECT id FROM desks WHERE deleted_at IS NOT NULL);
--bun:split
DELETE FROM desks WHERE deleted_at IS NOT NULL;
--bun:split
ALTER TABLE desks DROP COLUMN deleted_at;
