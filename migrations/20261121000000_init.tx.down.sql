DROP TABLE IF EXISTS session_events;
--bun:split
DROP TABLE IF EXISTS support_sessions;
--bun:split
DROP TABLE IF EXISTS logins;
--bun:split
DROP TABLE IF EXISTS desk_members;
--bun:split
DROP TABLE IF EXISTS desks;
--bun:split
DROP TABLE IF EXISTS users;
--bun:split
DROP TABLE IF EXISTS providers;
