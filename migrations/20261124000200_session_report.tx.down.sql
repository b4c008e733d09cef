ALTER TABLE support_sessions DROP COLUMN rated_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN rating_comment;
--bun:split
ALTER TABLE support_sessions DROP COLUMN rating;
--bun:split
ALTER TABLE support_sessions DROP COLUMN summary_at;
--bun:split
ALTER TABLE support_sessions DROP COLUMN summary_by;
--bun:split
ALTER TABLE support_sessions DROP COLUMN summary;
