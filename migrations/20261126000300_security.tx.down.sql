DROP TABLE IF EXISTS recovery_codes;
--bun:split
ALTER TABLE logins DROP COLUMN last_seen_at;
--bun:split
ALTER TABLE logins DROP COLUMN address;
--bun:split
ALTER TABLE logins DROP COLUMN user_agent;
--bun:split
ALTER TABLE providers DROP COLUMN require_2fa;
--bun:split
ALTER TABLE users DROP COLUMN deleted_at;
--bun:split
ALTER TABLE users DROP COLUMN totp_last_step;
--bun:split
ALTER TABLE users DROP COLUMN totp_enabled_at;
--bun:split
ALTER TABLE users DROP COLUMN totp_secret;
