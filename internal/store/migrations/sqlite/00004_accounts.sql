-- Accounts and their characters (internal/accounts), the history of who
-- owned a character and of every character removed from an account, roles
-- given to accounts (internal/access), the EVE logins (internal/eve/logins),
-- and the corporations and alliances characters belong to
-- (internal/eve/affiliations).
-- +goose Up
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,            -- the main character's name
    status         TEXT NOT NULL CHECK (status IN ('standard', 'managed')),
    active         BOOLEAN NOT NULL,         -- false: deactivated by an admin, cannot log in
    superuser      BOOLEAN NOT NULL,
    language       TEXT NOT NULL,            -- '' follows the browser
    theme          TEXT NOT NULL,            -- '' follows the site
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP,
    deactivated_at TIMESTAMP,
    deactivated_by INTEGER REFERENCES accounts (id)
);

CREATE TABLE characters (
    id             INTEGER PRIMARY KEY,      -- the EVE character id
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    name           TEXT NOT NULL,
    owner_hash     TEXT NOT NULL,
    main           BOOLEAN NOT NULL,
    corporation_id INTEGER,
    alliance_id    INTEGER,
    faction_id     INTEGER,
    created_at     TIMESTAMP NOT NULL,       -- when it was added to Keepstar
    last_login_at  TIMESTAMP
);
CREATE INDEX characters_account ON characters (account_id);
CREATE UNIQUE INDEX characters_one_main ON characters (account_id) WHERE main;
CREATE INDEX characters_corporation ON characters (corporation_id);
CREATE INDEX characters_alliance ON characters (alliance_id);
CREATE INDEX characters_name ON characters (lower(name));

-- Every owner of every character as Keepstar saw them (Alliance Auth's
-- ownership records): kept when characters move or are removed.
CREATE TABLE character_owners (
    character_id   INTEGER NOT NULL,
    owner_hash     TEXT NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    character_name TEXT NOT NULL,
    first_seen     TIMESTAMP NOT NULL,
    last_seen      TIMESTAMP NOT NULL,
    PRIMARY KEY (character_id, owner_hash, account_id)
);
CREATE INDEX character_owners_account ON character_owners (account_id);

-- Every character that left an account, and why (Neucore's removed
-- characters, with deletions by admins recorded too).
CREATE TABLE character_removals (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    new_account_id INTEGER REFERENCES accounts (id),
    character_id   INTEGER NOT NULL,
    character_name TEXT NOT NULL,
    reason         TEXT NOT NULL CHECK (reason IN ('moved', 'moved-owner-changed', 'deleted-biomassed',
                       'deleted-owner-changed', 'deleted-lost-access', 'deleted-manually', 'deleted-by-admin')),
    removed_at     TIMESTAMP NOT NULL,
    removed_by     INTEGER REFERENCES accounts (id)
);
CREATE INDEX character_removals_account ON character_removals (account_id);
CREATE INDEX character_removals_new_account ON character_removals (new_account_id);
CREATE INDEX character_removals_character ON character_removals (character_id);

CREATE TABLE account_roles (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    role       TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, role)
);

-- Named SSO configurations: scopes asked for and the in-game roles the
-- character must hold (all of them). Names starting with core. are built in.
CREATE TABLE eve_logins (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    scopes      TEXT NOT NULL,               -- space separated
    eve_roles   TEXT NOT NULL,               -- space separated
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
INSERT INTO eve_logins (name, description, scopes, eve_roles, created_at, updated_at) VALUES
    ('core.default', 'The account login: logging in and adding characters.', 'publicData', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('core.no-scopes', 'Guest login that asks for no scopes; its token is kept as the core.default token unless a valid one exists.', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('core.tracking', 'Director tokens for corporation member tracking.', 'esi-characters.read_corporation_roles.v1 esi-corporations.track_members.v1 esi-universe.read_structures.v1', 'Director', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('core.mail', 'The character that sends EVE mail for Keepstar.', 'esi-mail.send_mail.v1', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- has_roles: whether the character held the login's in-game roles when last
-- checked; NULL when the login needs none.
ALTER TABLE eve_tokens ADD COLUMN has_roles BOOLEAN;
CREATE INDEX eve_tokens_login ON eve_tokens (login);

CREATE TABLE eve_corporations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    ticker      TEXT NOT NULL,
    alliance_id INTEGER,
    faction_id  INTEGER,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE eve_alliances (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    ticker     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE eve_alliances;
DROP TABLE eve_corporations;
DROP INDEX eve_tokens_login;
ALTER TABLE eve_tokens DROP COLUMN has_roles;
DROP TABLE eve_logins;
DROP TABLE account_roles;
DROP TABLE character_removals;
DROP TABLE character_owners;
DROP TABLE characters;
DROP TABLE accounts;
