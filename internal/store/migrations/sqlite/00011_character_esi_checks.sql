-- What the affiliation sync (internal/eve/affiliations) keeps of each
-- character beside its affiliation:
-- esi_unknown_since: when ESI's affiliation lookup first refused the id as no
--   character (EVE never deletes characters, so most likely a bad id); NULL
--   while ESI knows it. Such a character keeps its last known affiliation,
--   is left out of the bulk lookups and is asked about alone, at most daily
--   (esi_unknown_checked_at).
-- name_checked_at: when its name was last compared with ESI's
--   (POST /universe/names); names are checked about daily.
-- +goose Up
ALTER TABLE characters ADD COLUMN esi_unknown_since TIMESTAMP;
ALTER TABLE characters ADD COLUMN esi_unknown_checked_at TIMESTAMP;
ALTER TABLE characters ADD COLUMN name_checked_at TIMESTAMP;
CREATE INDEX characters_esi_unknown ON characters (esi_unknown_checked_at) WHERE esi_unknown_since IS NOT NULL;

-- +goose Down
DROP INDEX characters_esi_unknown;
ALTER TABLE characters DROP COLUMN name_checked_at;
ALTER TABLE characters DROP COLUMN esi_unknown_checked_at;
ALTER TABLE characters DROP COLUMN esi_unknown_since;
