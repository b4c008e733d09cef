-- Branding: everything the customer sees of a provider. Logo and icon are
-- keys in the blob store ('' until uploaded); colours are "#rrggbb" ('' for
-- Tether's own). brand_updated_at versions the brand's URLs for caches.
ALTER TABLE providers ADD COLUMN logo_key TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN icon_key TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN primary_color TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN accent_color TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN contact TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN banner_text TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN banner_link TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE providers ADD COLUMN welcome TEXT NOT NULL DEFAULT '';
--bun:split
-- Patching the icon into the Windows agent breaks its Authenticode
-- signature, so it is the provider's choice.
ALTER TABLE providers ADD COLUMN patch_icon BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE providers ADD COLUMN brand_updated_at TIMESTAMP NULL;
--bun:split
-- The operator disables a provider: its pages say so, its sessions end and
-- nobody of it can sign in.
ALTER TABLE providers ADD COLUMN disabled_at TIMESTAMP NULL;
--bun:split
-- Quotas set by the operator; 0 is no limit.
ALTER TABLE providers ADD COLUMN max_engineers INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE providers ADD COLUMN max_sessions INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE providers ADD COLUMN max_desks INTEGER NOT NULL DEFAULT 0;
--bun:split
-- A person who works for two providers has an account with each: one row
-- per (provider, email), each with its own password and role.
DROP INDEX users_email_uidx;
--bun:split
CREATE UNIQUE INDEX users_provider_email_uidx ON users (provider_id, email);
--bun:split
CREATE INDEX users_email_idx ON users (email);
--bun:split
-- The server operator: the account setup created, which manages providers.
ALTER TABLE users ADD COLUMN operator BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
UPDATE users SET operator = TRUE WHERE role = 'owner' AND provider_id = (SELECT id FROM providers ORDER BY created_at LIMIT 1);
--bun:split
-- Self-service sign-up of new providers, off until the operator opens it.
ALTER TABLE installation ADD COLUMN signup_open BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- How the session came to be (protocol.Origin...): console, portal, widget, api.
ALTER TABLE support_sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'console';
--bun:split
-- What the customer wrote when asking for help from the portal.
ALTER TABLE support_sessions ADD COLUMN description TEXT NOT NULL DEFAULT '';
--bun:split
-- When an engineer took a waiting request.
ALTER TABLE support_sessions ADD COLUMN accepted_at TIMESTAMP NULL;
