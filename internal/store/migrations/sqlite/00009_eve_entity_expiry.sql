-- When ESI's answer for each corporation and alliance expires (its Expires
-- header). The affiliation sync reads an entity again only once that has
-- passed and its entry is older than a day (internal/eve/affiliations);
-- NULL, for entries stored before, counts as expired.
-- +goose Up
ALTER TABLE eve_corporations ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE eve_alliances ADD COLUMN expires_at TIMESTAMP;

-- +goose Down
ALTER TABLE eve_alliances DROP COLUMN expires_at;
ALTER TABLE eve_corporations DROP COLUMN expires_at;
