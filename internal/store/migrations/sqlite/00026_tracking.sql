-- Member tracking (internal/apps/tracking), Neucore's: what a director's
-- core.tracking token reads of /corporations/{id}/membertracking.
-- tracking_corporations: one row per corporation read, with when its
-- answer expires (the next read waits for it) and the last error (the
-- members stay as last stored: a pass is written whole or not at all).
-- tracking_members: the corporation's members as ESI last listed them,
-- with the names resolved. tracking_locations: names of locations and ship
-- types, kept until they expire; error_count backs off structures that
-- answer 403 (setting tracking.structure_error_days). tracking_groups: the
-- groups whose members (with role tracking) see a corporation.
-- +goose Up
CREATE TABLE tracking_corporations (
    corporation_id INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    director_id    INTEGER NOT NULL,        -- whose token read it last
    fetched_at     TIMESTAMP,
    expires_at     TIMESTAMP,
    error          TEXT NOT NULL,
    error_at       TIMESTAMP
);

CREATE TABLE tracking_members (
    character_id   INTEGER PRIMARY KEY,
    corporation_id INTEGER NOT NULL REFERENCES tracking_corporations (corporation_id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    logon_at       TIMESTAMP,
    logoff_at      TIMESTAMP,
    location_id    INTEGER,
    ship_type_id   INTEGER,
    start_date     TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX tracking_members_corporation ON tracking_members (corporation_id);

CREATE TABLE tracking_names (
    id          INTEGER NOT NULL,     -- a location (system, station, structure) or a type
    name        TEXT NOT NULL,              -- '' while unknown
    kind        TEXT NOT NULL CHECK (kind IN ('location', 'type')),
    expires_at  TIMESTAMP NOT NULL,
    error_count INTEGER NOT NULL,
    error_at    TIMESTAMP,
    PRIMARY KEY (kind, id)
);

CREATE TABLE tracking_groups (
    corporation_id INTEGER NOT NULL REFERENCES tracking_corporations (corporation_id) ON DELETE CASCADE,
    group_id       INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (corporation_id, group_id)
);
CREATE INDEX tracking_groups_group ON tracking_groups (group_id);

-- +goose Down
DROP TABLE tracking_groups;
DROP TABLE tracking_names;
DROP TABLE tracking_members;
DROP TABLE tracking_corporations;
