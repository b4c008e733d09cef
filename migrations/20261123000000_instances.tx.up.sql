-- Server instances sharing this database, with a heartbeat: when an
-- instance stops beating (it crashed) or says it stopped, another one marks
-- the agents it held as lost, and they get the rejoin grace to reconnect to
-- any instance before their sessions end as interrupted.
CREATE TABLE instances (
    name       TEXT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    stopped_at TIMESTAMP NULL
);
