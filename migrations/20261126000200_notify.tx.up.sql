-- Notifications: the kinds (protocol.NotifyKinds) an engineer chose to be told about with a desktop
-- notification, and with a sound, each a comma-separated list; '' chooses none. Kept with the user, so
-- the choice follows them to another browser (which still asks its own permission to notify).
ALTER TABLE users ADD COLUMN notify_desktop TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN notify_sound TEXT NOT NULL DEFAULT '';
