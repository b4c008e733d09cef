-- Desks (support queues) are created, renamed and deleted by admins. A desk
-- that served sessions is kept for their history when deleted (deleted_at);
-- names are unique among a provider's desks that are not deleted.
ALTER TABLE desks ADD COLUMN deleted_at TIMESTAMP NULL;
--bun:split
CREATE UNIQUE INDEX desks_provider_name_uidx ON desks (provider_id, lower(name)) WHERE deleted_at IS NULL;
--bun:split
-- The desk's permission template (protocol.Grants in store form): what its
-- engineers may ask the customer for, and what the consent page ticks to
-- begin with. The customer still decides on their machine.
ALTER TABLE desks ADD COLUMN allowed_grants TEXT NOT NULL DEFAULT 'view,control,limited,clipboard,files';
--bun:split
ALTER TABLE desks ADD COLUMN default_grants TEXT NOT NULL DEFAULT 'view,control';
--bun:split
CREATE INDEX support_sessions_desk_state_idx ON support_sessions (desk_id, state);
