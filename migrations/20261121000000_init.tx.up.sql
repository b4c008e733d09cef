CREATE TABLE providers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX providers_slug_uidx ON providers (slug);
--bun:split
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'engineer')),
    created_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX users_email_uidx ON users (email);
--bun:split
CREATE INDEX users_provider_idx ON users (provider_id);
--bun:split
CREATE TABLE desks (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX desks_default_uidx ON desks (provider_id) WHERE is_default;
--bun:split
CREATE TABLE desk_members (
    desk_id TEXT NOT NULL REFERENCES desks (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (desk_id, user_id)
);
--bun:split
CREATE INDEX desk_members_user_idx ON desk_members (user_id);
--bun:split
CREATE TABLE logins (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX logins_user_idx ON logins (user_id);
--bun:split
CREATE INDEX logins_expires_idx ON logins (expires_at);
--bun:split
CREATE TABLE support_sessions (
    id              TEXT PRIMARY KEY,
    provider_id     TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    desk_id         TEXT NOT NULL REFERENCES desks (id),
    engineer_id     TEXT NOT NULL REFERENCES users (id),
    customer_name   TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    token_hash      TEXT NOT NULL,
    code_token_hash TEXT NOT NULL DEFAULT '',
    code            TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT '' CHECK (source IN ('', 'link', 'code')),
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'joined', 'active', 'ended')),
    consent_level   TEXT NOT NULL DEFAULT '' CHECK (consent_level IN ('', 'view', 'control')),
    agent_key_hash  TEXT NOT NULL DEFAULT '',
    agent_os        TEXT NOT NULL DEFAULT '',
    agent_host      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    joined_at       TIMESTAMP NULL,
    active_at       TIMESTAMP NULL,
    ended_at        TIMESTAMP NULL,
    end_reason      TEXT NOT NULL DEFAULT '',
    bytes_to_viewer BIGINT NOT NULL DEFAULT 0,
    bytes_to_agent  BIGINT NOT NULL DEFAULT 0
);
--bun:split
CREATE UNIQUE INDEX support_sessions_token_hash_uidx ON support_sessions (token_hash);
--bun:split
CREATE UNIQUE INDEX support_sessions_code_token_hash_uidx ON support_sessions (code_token_hash) WHERE code_token_hash <> '';
--bun:split
CREATE UNIQUE INDEX support_sessions_live_code_uidx ON support_sessions (code) WHERE state <> 'ended';
--bun:split
CREATE INDEX support_sessions_provider_created_idx ON support_sessions (provider_id, created_at);
--bun:split
CREATE INDEX support_sessions_state_idx ON support_sessions (state, expires_at);
--bun:split
CREATE TABLE session_events (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES support_sessions (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    at          TIMESTAMP NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX session_events_session_at_idx ON session_events (session_id, at);
--bun:split
CREATE UNIQUE INDEX session_events_session_seq_uidx ON session_events (session_id, seq);
