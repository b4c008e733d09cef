-- One-time links that let a person into an account: an invitation to join a
-- provider (kind 'invite') or a password reset (kind 'reset'). Only the
-- sha256 of the token is stored. An invitation carries what the account will
-- be (email, name, role, desks); a reset names the user it is for.
CREATE TABLE account_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('invite', 'reset')),
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    user_id     TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'admin', 'engineer')),
    desk_ids    TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP NULL
);
--bun:split
CREATE UNIQUE INDEX account_tokens_hash_uidx ON account_tokens (token_hash);
--bun:split
CREATE INDEX account_tokens_provider_idx ON account_tokens (provider_id, kind);
--bun:split
-- When the user last signed in, for the team page.
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMP NULL;
