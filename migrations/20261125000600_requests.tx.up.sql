-- Customer-initiated requests: how long a request from the portal or the
-- website widget waits in its desk's queue before the customer is told that
-- nobody is free (and the request ends), in minutes.
ALTER TABLE providers ADD COLUMN request_timeout_minutes INTEGER NOT NULL DEFAULT 15;
--bun:split
-- The queue of a desk: requests nobody accepted yet, oldest first.
CREATE INDEX support_sessions_queue_idx ON support_sessions (desk_id, created_at) WHERE engineer_id IS NULL;
