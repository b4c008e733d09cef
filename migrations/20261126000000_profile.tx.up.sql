-- The engineer's profile (issue 10). first_name and last_name are shown to
-- customers, name stays the display name ("first last") every page uses.
-- employee_no and department let a customer check who helps them.
-- language is a locales tag ('' = the browser's), time_zone an IANA name
-- ('' = the server's), clock_12h the time format (FALSE: 24-hour).
ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN employee_no TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN country TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN clock_12h BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- A profile photo: a key in the blob store, '' for none.
ALTER TABLE users ADD COLUMN photo_key TEXT NOT NULL DEFAULT '';
--bun:split
-- When the user dismissed the first-sign-in tour; NULL shows it.
ALTER TABLE users ADD COLUMN tour_dismissed_at TIMESTAMP NULL;
--bun:split
-- The language customers get when their browser asks for none Tether speaks
-- ('' = English).
ALTER TABLE providers ADD COLUMN default_language TEXT NOT NULL DEFAULT '';
