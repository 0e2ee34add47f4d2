-- Fleet activity tracking (internal/apps/fat), Alliance Auth's: fat_links
-- are the fatlinks a fleet commander makes (a random hash in the URL, a
-- fleet name, an expiry); fat_records one participation each, as ESI
-- reported the character (system, ship type, station or structure), at
-- most one per character and link. A record keeps the corporation the
-- character was in and the names ESI gave, so that statistics of past
-- months do not move when members do. fat_monthly and fat_corp_monthly are
-- the statistics, kept in the transaction that writes the records: a
-- month's page reads a few hundred rows however many participations there
-- are.
-- +goose Up
CREATE TABLE fat_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hash         TEXT NOT NULL UNIQUE,
    fleet        TEXT NOT NULL,
    creator_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    creator_name TEXT NOT NULL,
    month        INTEGER NOT NULL,          -- year*100+month of created_at (UTC)
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX fat_links_created ON fat_links (created_at);

CREATE TABLE fat_records (
    link_id        INTEGER NOT NULL REFERENCES fat_links (id) ON DELETE CASCADE,
    character_id   INTEGER NOT NULL,
    character_name TEXT NOT NULL,
    corporation_id INTEGER NOT NULL,        -- 0: not known to Keepstar
    month          INTEGER NOT NULL,        -- the link's
    system_id      INTEGER NOT NULL,
    system_name    TEXT NOT NULL,
    ship_type_id   INTEGER NOT NULL,
    ship_type_name TEXT NOT NULL,
    location_id    INTEGER,                 -- station or structure, NULL in space
    location_name  TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('link', 'fleet')),
    recorded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (link_id, character_id)
);
CREATE INDEX fat_records_character ON fat_records (character_id, month);

CREATE TABLE fat_monthly (
    month          INTEGER NOT NULL,
    corporation_id INTEGER NOT NULL,
    character_id   INTEGER NOT NULL,
    character_name TEXT NOT NULL,
    fats           INTEGER NOT NULL,
    PRIMARY KEY (month, corporation_id, character_id)
);
CREATE INDEX fat_monthly_top ON fat_monthly (month, fats, character_id);

CREATE TABLE fat_corp_monthly (
    month          INTEGER NOT NULL,
    corporation_id INTEGER NOT NULL,
    fats           INTEGER NOT NULL,
    characters     INTEGER NOT NULL,
    PRIMARY KEY (month, corporation_id)
);

-- Names of systems, ship types, stations and structures, as ESI gave
-- them: asked once, not per record.
CREATE TABLE fat_names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- +goose Down
DROP TABLE fat_names;
DROP TABLE fat_corp_monthly;
DROP TABLE fat_monthly;
DROP TABLE fat_records;
DROP TABLE fat_links;
