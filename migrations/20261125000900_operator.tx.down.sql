DROP TABLE password_links;
--bun:split
DROP TABLE signups;
