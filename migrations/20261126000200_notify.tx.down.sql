ALTER TABLE users DROP COLUMN notify_sound;
--bun:split
ALTER TABLE users DROP COLUMN notify_desktop;
