-- The ESI cache keeps the headers ESI sent with each answer (an answer from
-- the cache carries them, as the fresh one did) and seals the bodies of
-- authenticated calls like tokens (sealed true: the body is a sealed value
-- of internal/secrets, bound to the row's key). Rows written before cannot
-- be told apart (the key is a hash), and some hold a character's private
-- data in the clear: the cache is emptied, and refills with the next calls.
-- +goose Up
DELETE FROM esi_cache;
ALTER TABLE esi_cache ADD COLUMN header TEXT NOT NULL DEFAULT '';
ALTER TABLE esi_cache ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE esi_cache DROP COLUMN sealed;
ALTER TABLE esi_cache DROP COLUMN header;
