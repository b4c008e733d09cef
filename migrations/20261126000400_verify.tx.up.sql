-- The public verification page looks engineers up by employee number within
-- their provider, as the customer typed it (case-insensitively).
CREATE INDEX users_provider_employee_no_idx ON users (provider_id, LOWER(employee_no));
--bun:split
-- The first-sign-in tour is for new users: people who signed in before it
-- existed know the console already, so theirs counts as dismissed.
UPDATE users SET tour_dismissed_at = last_sign_in_at WHERE tour_dismissed_at IS NULL AND last_sign_in_at IS NOT NULL;
