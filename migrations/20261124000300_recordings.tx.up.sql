-- Recordings of sessions whose provider records: what the engineer's viewer
-- was shown, uploaded in chunks as it goes (blobs under
-- recordings/<session>/), kept for the provider's retention and then
-- deleted by any instance's sweep (deleted_at marks the one that did it).
-- The row exists from the moment the customer was told the session is
-- recorded (the agent's welcome), so only such sessions take chunks.
CREATE TABLE recordings (
    session_id  TEXT PRIMARY KEY REFERENCES support_sessions (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    bytes       BIGINT NOT NULL DEFAULT 0,
    chunks      INTEGER NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    deleted_at  TIMESTAMP NULL
);
--bun:split
CREATE INDEX recordings_kept ON recordings (created_at) WHERE deleted_at IS NULL;
--bun:split
-- One row per chunk, in upload order (seq 0, 1, 2 ...): its size and times
-- and where its full frames are, so that playback can seek.
CREATE TABLE recording_chunks (
    session_id TEXT NOT NULL REFERENCES recordings (session_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    bytes      BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    first_ms   BIGINT NOT NULL,
    end_ms     BIGINT NOT NULL,
    keyframes  TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
