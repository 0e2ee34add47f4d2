-- What accounts may do (internal/access, internal/groups, internal/states):
-- states (Alliance Auth's), groups carrying both Alliance Auth's and
-- Neucore's options, permissions given to accounts, groups and states,
-- the groups roles require, join requests and the audit log, Alliance
-- Auth's automatic corporation and alliance groups, reserved group names,
-- and the outbox of membership changes that service connectors read.
-- +goose Up
CREATE TABLE states (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    priority   INTEGER NOT NULL UNIQUE,
    public     BOOLEAN NOT NULL,          -- open to every main character
    guest      BOOLEAN NOT NULL,          -- the catch-all: one, never deleted or renamed
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX states_name ON states (lower(name));
CREATE UNIQUE INDEX states_one_guest ON states (guest) WHERE guest;

-- Who qualifies for a state, by their main character.
CREATE TABLE state_members (
    state_id  INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('character', 'corporation', 'alliance', 'faction')),
    entity_id INTEGER NOT NULL,
    PRIMARY KEY (state_id, kind, entity_id)
);
CREATE INDEX state_members_entity ON state_members (kind, entity_id);

CREATE TABLE state_permissions (
    state_id   INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (state_id, permission)
);

INSERT INTO states (name, priority, public, guest, created_at, updated_at) VALUES
    ('Guest', 0, TRUE, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('Blue', 50, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('Member', 100, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO state_permissions (state_id, permission)
    SELECT id, 'groups.request' FROM states WHERE name IN ('Member', 'Blue');

-- The state the access engine last computed; NULL until it has run. No
-- foreign key: a full recomputation rewrites it for every account, and the
-- per-row check would cost more than the write (deleting a state moves its
-- accounts to the guest state first).
ALTER TABLE accounts ADD COLUMN state_id INTEGER;
-- Neucore's group deactivation: 'no', 'soon' or 'yes'.
ALTER TABLE accounts ADD COLUMN groups_deactivated TEXT NOT NULL DEFAULT 'no';
CREATE INDEX accounts_state ON accounts (state_id);

-- Alliance Auth's automatic groups: one group per corporation and/or
-- alliance of the main character of accounts in chosen states.
CREATE TABLE autogroup_configs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    corporation_groups BOOLEAN NOT NULL,
    alliance_groups    BOOLEAN NOT NULL,
    corporation_prefix TEXT NOT NULL,
    alliance_prefix    TEXT NOT NULL,
    name_source        TEXT NOT NULL CHECK (name_source IN ('name', 'ticker')),
    replace_spaces     BOOLEAN NOT NULL,
    replace_with       TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE TABLE autogroup_config_states (
    config_id INTEGER NOT NULL REFERENCES autogroup_configs (id) ON DELETE CASCADE,
    state_id  INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
    PRIMARY KEY (config_id, state_id)
);

CREATE TABLE groups (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    internal         BOOLEAN NOT NULL,    -- nobody sees, joins or requests it (Alliance Auth)
    hidden           BOOLEAN NOT NULL,    -- not listed; joinable by its link (Neucore's private)
    open             BOOLEAN NOT NULL,    -- requests accepted at once (Neucore's auto-accept)
    public           BOOLEAN NOT NULL,    -- needs no request permission; never removed by state or permission
    restricted       BOOLEAN NOT NULL,    -- membership changed by superusers only
    is_default       BOOLEAN NOT NULL,    -- every standard account has it (Neucore)
    autogroup_config INTEGER REFERENCES autogroup_configs (id) ON DELETE CASCADE,
    autogroup_kind   TEXT CHECK (autogroup_kind IN ('corporation', 'alliance')),
    autogroup_entity INTEGER,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (lower(name));
CREATE UNIQUE INDEX groups_autogroup ON groups (autogroup_config, autogroup_kind, autogroup_entity);

-- The states whose accounts may be in a group (none: any).
CREATE TABLE group_states (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    state_id INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, state_id)
);

-- Neucore's required groups (a member of at least one) and forbidden
-- groups (a member of none).
CREATE TABLE group_rules (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('required', 'forbidden')),
    other_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, kind, other_id)
);

-- Neucore's automatic assignment: the accounts with any character in these
-- corporations or alliances are members.
CREATE TABLE group_mappings (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('corporation', 'alliance')),
    entity_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, kind, entity_id)
);
CREATE INDEX group_mappings_entity ON group_mappings (kind, entity_id);

-- Leaders (Alliance Auth) and managers (Neucore) are one: accounts, and the
-- members of leader groups.
CREATE TABLE group_managers (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_managers_account ON group_managers (account_id);
CREATE TABLE group_manager_groups (
    group_id         INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    manager_group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, manager_group_id)
);

CREATE TABLE group_permissions (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (group_id, permission)
);

-- No foreign keys: the access engine writes memberships by the hundred
-- thousand, and the per-row checks would cost three times the insert
-- (measured on PostgreSQL). Memberships are deleted with their group by the
-- code that deletes groups, and the engine drops any of an unknown group.
CREATE TABLE group_members (
    account_id INTEGER NOT NULL,
    group_id   INTEGER NOT NULL,
    since      TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, group_id)
);
CREATE INDEX group_members_group ON group_members (group_id);

-- Join and leave requests (Alliance Auth) and applications (Neucore): one
-- row per account, group and kind, updated when asked again.
CREATE TABLE group_requests (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL CHECK (kind IN ('join', 'leave')),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by INTEGER REFERENCES accounts (id)
);
CREATE UNIQUE INDEX group_requests_one ON group_requests (group_id, account_id, kind);
CREATE INDEX group_requests_pending ON group_requests (group_id) WHERE status = 'pending';

-- Every join, leave, removal, acceptance and rejection (Alliance Auth's
-- request log), kept after the group or account is gone.
CREATE TABLE group_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     INTEGER NOT NULL,
    group_name   TEXT NOT NULL,
    account_id   INTEGER NOT NULL,
    main_name    TEXT NOT NULL,
    request      TEXT NOT NULL CHECK (request IN ('join', 'leave', 'removed')),
    action       TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'remove', 'auto')),
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX group_log_group ON group_log (group_id, at);

CREATE TABLE reserved_group_names (
    name       TEXT PRIMARY KEY,              -- lower case
    reason     TEXT NOT NULL,
    created_by INTEGER REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE account_permissions (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    permission TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, permission)
);

-- Roles (Neucore's) that need the account to be in one of these groups,
-- and are taken away when it is in none.
CREATE TABLE role_requirements (
    role     TEXT NOT NULL,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (role, group_id)
);

-- The outbox of access changes: one row per change of an account's groups
-- or state, in the transaction that made it, for connectors to follow.
CREATE TABLE access_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('group-added', 'group-removed', 'state-changed', 'deactivation-changed')),
    group_id   INTEGER,
    state_id   INTEGER,
    detail     TEXT NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX access_events_account ON access_events (account_id);

-- Versions of the rules: config grows with every change of a state, a
-- group rule or an autogroup configuration; applied is the config version
-- the last full recomputation started from. A recomputation queued behind
-- a running one is skipped when nothing changed since that one started.
CREATE TABLE access_versions (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO access_versions (name, value) VALUES ('config', 1), ('applied', 0);

-- +goose Down
DROP TABLE access_versions;
DROP TABLE access_events;
DROP TABLE role_requirements;
DROP TABLE account_permissions;
DROP TABLE reserved_group_names;
DROP TABLE group_log;
DROP TABLE group_requests;
DROP TABLE group_members;
DROP TABLE group_permissions;
DROP TABLE group_manager_groups;
DROP TABLE group_managers;
DROP TABLE group_mappings;
DROP TABLE group_rules;
DROP TABLE group_states;
DROP TABLE groups;
DROP TABLE autogroup_config_states;
DROP TABLE autogroup_configs;
DROP INDEX accounts_state;
ALTER TABLE accounts DROP COLUMN groups_deactivated;
ALTER TABLE accounts DROP COLUMN state_id;
DROP TABLE state_permissions;
DROP TABLE state_members;
DROP TABLE states;
