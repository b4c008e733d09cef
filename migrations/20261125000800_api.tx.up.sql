-- Session API for integrations: API tokens, the provider's webhook, the state
-- each session last reported, and the outbox of webhook deliveries.

-- A provider's API token. Only the SHA-256 of the token is kept; hint is its
-- last four characters, so that the admin can tell tokens apart.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_by   TEXT NULL REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NULL,
    revoked_at   TIMESTAMP NULL
);
--bun:split
CREATE INDEX api_tokens_provider_idx ON api_tokens (provider_id, created_at);
--bun:split
-- A provider's webhook: where session state changes are POSTed, and the
-- secret they are signed with (kept, since every delivery is signed with it).
-- since: sessions created before it that had ended report nothing.
CREATE TABLE webhooks (
    provider_id TEXT PRIMARY KEY REFERENCES providers (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    since       TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
--bun:split
-- The state of a session its provider's webhook was last told about. The
-- sweep of every instance claims a change with one conditional write here.
CREATE TABLE webhook_states (
    session_id  TEXT PRIMARY KEY REFERENCES support_sessions (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    state       TEXT NOT NULL
);
--bun:split
-- The outbox: one row per event to deliver, retried with backoff until the
-- receiver answers 2xx or the attempts run out (failed_at). seq orders a
-- session's events; a later one waits for the earlier ones.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    provider_id     TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL REFERENCES support_sessions (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    TIMESTAMP NULL,
    failed_at       TIMESTAMP NULL,
    UNIQUE (session_id, seq)
);
--bun:split
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
--bun:split
CREATE INDEX webhook_deliveries_provider_idx ON webhook_deliveries (provider_id, created_at);
