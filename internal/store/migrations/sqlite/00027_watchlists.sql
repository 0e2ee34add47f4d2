-- Watchlists (internal/apps/watchlists), Neucore's: each list names the
-- corporations and alliances it watches, those on its kicklist and its
-- allowlist (one table, the list column says which), the accounts exempted,
-- and the groups whose members view it or manage it. lock_settings: only
-- watchlist-admins change the watched entities. watchlist_auto_corporations
-- is the auto-allowlist flag, one per corporation for every list, as
-- Neucore keeps it on the corporation.
-- +goose Up
CREATE TABLE watchlists (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    lock_settings BOOLEAN NOT NULL
);

CREATE TABLE watchlist_entities (
    watchlist_id INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    list         TEXT NOT NULL CHECK (list IN ('watched', 'kicklist', 'allowlist')),
    kind         TEXT NOT NULL CHECK (kind IN ('corporation', 'alliance')),
    entity_id    INTEGER NOT NULL,
    PRIMARY KEY (watchlist_id, list, kind, entity_id)
);

CREATE TABLE watchlist_exemptions (
    watchlist_id INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (watchlist_id, account_id)
);
CREATE INDEX watchlist_exemptions_account ON watchlist_exemptions (account_id);

CREATE TABLE watchlist_groups (
    watchlist_id INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    group_id     INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    manager      BOOLEAN NOT NULL,      -- false: a view group
    PRIMARY KEY (watchlist_id, group_id, manager)
);
CREATE INDEX watchlist_groups_group ON watchlist_groups (group_id);

CREATE TABLE watchlist_auto_corporations (
    corporation_id INTEGER PRIMARY KEY,
    since          TIMESTAMP NOT NULL
);

-- The warning list walks a watched account's other characters.
CREATE INDEX characters_account_corporation ON characters (account_id, corporation_id, alliance_id);

-- +goose Down
DROP INDEX characters_account_corporation;
DROP TABLE watchlist_auto_corporations;
DROP TABLE watchlist_groups;
DROP TABLE watchlist_exemptions;
DROP TABLE watchlist_entities;
DROP TABLE watchlists;
