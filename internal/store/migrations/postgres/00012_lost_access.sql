-- Lost access (internal/tokencheck): for a character whose core.default
-- token EVE refused, how many notices its account was sent (0 none, 1 the
-- first, 2 the last before removal) and the removal deadline the last one
-- announced, which is never brought forward. Saving the token again (a login)
-- resets both (internal/eve/tokens).
-- +goose Up
ALTER TABLE eve_tokens ADD COLUMN lost_access_notices INTEGER NOT NULL DEFAULT 0;
ALTER TABLE eve_tokens ADD COLUMN lost_access_deadline TIMESTAMPTZ;

-- +goose Down
ALTER TABLE eve_tokens DROP COLUMN lost_access_deadline;
ALTER TABLE eve_tokens DROP COLUMN lost_access_notices;
