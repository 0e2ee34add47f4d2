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
    corporation_id BIGINT PRIMARY KEY,
    name           TEXT NOT NULL,
    director_id    BIGINT NOT NULL,        -- whose token read it last
    fetched_at     TIMESTAMPTZ,
    expires_at     TIMESTAMPTZ,
    error          TEXT NOT NULL,
    error_at       TIMESTAMPTZ
);

CREATE TABLE tracking_members (
    character_id   BIGINT PRIMARY KEY,
    corporation_id BIGINT NOT NULL REFERENCES tracking_corporations (corporation_id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    logon_at       TIMESTAMPTZ,
    logoff_at      TIMESTAMPTZ,
    location_id    BIGINT,
    ship_type_id   BIGINT,
    start_date     TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX tracking_members_corporation ON tracking_members (corporation_id);

CREATE TABLE tracking_names (
    id          BIGINT NOT NULL,     -- a location (system, station, structure) or a type
    name        TEXT NOT NULL,              -- '' while unknown
    kind        TEXT NOT NULL CHECK (kind IN ('location', 'type')),
    expires_at  TIMESTAMPTZ NOT NULL,
    error_count INTEGER NOT NULL,
    error_at    TIMESTAMPTZ,
    PRIMARY KEY (kind, id)
);

CREATE TABLE tracking_groups (
    corporation_id BIGINT NOT NULL REFERENCES tracking_corporations (corporation_id) ON DELETE CASCADE,
    group_id       BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (corporation_id, group_id)
);
CREATE INDEX tracking_groups_group ON tracking_groups (group_id);

-- +goose Down
DROP TABLE tracking_groups;
DROP TABLE tracking_names;
DROP TABLE tracking_members;
DROP TABLE tracking_corporations;
