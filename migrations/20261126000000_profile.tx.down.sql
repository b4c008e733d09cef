ALTER TABLE providers DROP COLUMN default_language;
--bun:split
ALTER TABLE users DROP COLUMN tour_dismissed_at;
--bun:split
ALTER TABLE users DROP COLUMN photo_key;
--bun:split
ALTER TABLE users DROP COLUMN clock_12h;
--bun:split
ALTER TABLE users DROP COLUMN time_zone;
--bun:split
ALTER TABLE users DROP COLUMN language;
--bun:split
ALTER TABLE users DROP COLUMN country;
--bun:split
ALTER TABLE users DROP COLUMN department;
--bun:split
ALTER TABLE users DROP COLUMN employee_no;
--bun:split
ALTER TABLE users DROP COLUMN last_name;
--bun:split
ALTER TABLE users DROP COLUMN first_name;
