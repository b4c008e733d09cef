-- Account security (issue 10): two-factor sign-in, recovery codes, what a sign-in was made from, and
-- the provider's "require two-factor sign-in" switch.
-- totp_secret is the TOTP secret sealed with a key derived from the server's secret (never in clear);
-- '' while none is set. totp_enabled_at is when the user confirmed it (NULL: not on, or an enrolment
-- not yet confirmed). totp_last_step is the 30-second step of the last code accepted, so the same code
-- cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP NULL;
--bun:split
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
--bun:split
-- When the user deleted their account. The row stays, scrubbed, so that ended sessions keep the
-- engineer's name in their history.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP NULL;
--bun:split
ALTER TABLE providers ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- Where a sign-in came from, for the "Active sign-ins" list.
ALTER TABLE logins ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE logins ADD COLUMN address TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE logins ADD COLUMN last_seen_at TIMESTAMP NULL;
--bun:split
-- One-time recovery codes for two-factor sign-in: SHA-256 of the code, used_at once used.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP NULL
);
--bun:split
CREATE UNIQUE INDEX recovery_codes_user_hash_uidx ON recovery_codes (user_id, code_hash);
