-- Corporation Stats (internal/apps/corpstats), Alliance Auth's: the member
-- list of a corporation read with a member's token holding
-- esi-corporations.read_corporation_membership.v1.
-- corpstats: one row per corporation (one Corp Stats each), who added it
-- (they always see it), whose token read it last (character_id, login),
-- where its members come from ('esi': corpstats_members; 'tracking':
-- member tracking's tracking_members, a current read of the same list, so
-- that it is not fetched twice), when that read was made and when ESI's
-- answer expires (no read before), and the last failure (the members stay
-- as last read); notified_at: the adder was told of the failure (once,
-- cleared by the next good read).
-- corpstats_members: the members as ESI last listed them, with names.
-- +goose Up
CREATE TABLE corpstats (
    corporation_id BIGINT PRIMARY KEY,
    name           TEXT NOT NULL,
    added_by       BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    character_id   BIGINT NOT NULL,
    login          TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('esi', 'tracking')),
    fetched_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    error          TEXT NOT NULL,
    error_at       TIMESTAMPTZ,
    notified_at    TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX corpstats_added_by ON corpstats (added_by);

CREATE TABLE corpstats_members (
    corporation_id BIGINT NOT NULL REFERENCES corpstats (corporation_id) ON DELETE CASCADE,
    character_id   BIGINT NOT NULL,
    name           TEXT NOT NULL,
    PRIMARY KEY (corporation_id, character_id)
);
CREATE INDEX corpstats_members_character ON corpstats_members (character_id);

-- +goose Down
DROP TABLE corpstats_members;
DROP TABLE corpstats;
