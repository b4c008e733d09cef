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
