-- A self-service sign-up waiting for its email to be confirmed: the
-- provider and its owner are created when the link is opened. Only the
-- hash of the link's token is kept; the password only as its bcrypt hash.
CREATE TABLE signups (
    token_hash    TEXT PRIMARY KEY,
    provider_name TEXT NOT NULL,
    owner_name    TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX signups_expires_idx ON signups (expires_at);
--bun:split
-- A one-time link that lets a user choose their password: the owner of a
-- provider the operator created. Only the token's hash is kept.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX password_links_user_idx ON password_links (user_id);
--bun:split
CREATE INDEX password_links_expires_idx ON password_links (expires_at);
