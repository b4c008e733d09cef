ALTER TABLE support_sessions DROP COLUMN accepted_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN description;
--bun:split
ALTER TABLE support_sessions DROP COLUMN origin;
--bun:split
ALTER TABLE installation DROP COLUMN signup_open;
--bun:split
ALTER TABLE users DROP COLUMN operator;
--bun:split
DROP INDEX users_email_idx;
--bun:split
DROP INDEX users_provider_email_uidx;
--bun:split
-- Going back to one account per email keeps each email's oldest account.
DELETE FROM users WHERE EXISTS (SELECT 1 FROM users o WHERE o.email = users.email AND (o.created_at < users.created_at OR (o.created_at = users.created_at AND o.id < users.id)));
--bun:split
CREATE UNIQUE INDEX users_email_uidx ON users (email);
--bun:split
ALTER TABLE providers DROP COLUMN max_desks;
--bun:split
ALTER TABLE providers DROP COLUMN max_sessions;
--bun:split
ALTER TABLE providers DROP COLUMN max_engineers;
--bun:split
ALTER TABLE providers DROP COLUMN disabled_at;
--bun:split
ALTER TABLE providers DROP COLUMN brand_updated_at;
--bun:split
ALTER TABLE providers DROP COLUMN patch_icon;
--bun:split
ALTER TABLE providers DROP COLUMN welcome;
--bun:split
ALTER TABLE providers DROP COLUMN banner_link;
--bun:split
ALTER TABLE providers DROP COLUMN banner_text;
--bun:split
ALTER TABLE providers DROP COLUMN contact;
--bun:split
ALTER TABLE providers DROP COLUMN accent_color;
--bun:split
ALTER TABLE providers DROP COLUMN primary_color;
--bun:split
ALTER TABLE providers DROP COLUMN icon_key;
--bun:split
ALTER TABLE providers DROP COLUMN logo_key;
