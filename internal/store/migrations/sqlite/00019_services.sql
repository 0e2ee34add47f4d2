-- The services (internal/services): instances of connector types (two
-- Discord guilds, a Mumble per coalition) with their settings, name
-- formats and group mappings; one service account per instance and
-- account, the reconciler's record of what it applied; and the audit log
-- of every change made on an external service.
-- +goose Up
CREATE TABLE service_instances (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    slug           TEXT NOT NULL UNIQUE,      -- in its permission, services.<slug>.access, and its paths
    type           TEXT NOT NULL,             -- the connector type: discord, mumble...
    name           TEXT NOT NULL,             -- what members see
    enabled        BOOLEAN NOT NULL,
    settings       TEXT NOT NULL,             -- JSON object of the type's plain settings
    secrets        TEXT NOT NULL,             -- sealed JSON object of its secret settings
    name_format    TEXT NOT NULL,             -- '': the type's default
    map_by_name    BOOLEAN NOT NULL,          -- groups map to the service's groups of the same name
    state_as_group BOOLEAN NOT NULL,          -- the account's state is one of its groups there too
    unmanaged      TEXT NOT NULL,             -- the service's groups Keepstar never touches, one per line
    verified_at    TIMESTAMP,
    verify_error   TEXT NOT NULL,
    work_lease     TIMESTAMP,                 -- a process works its syncs until then (one at a time)
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- The name format of an instance for accounts in a state.
CREATE TABLE service_name_formats (
    instance_id INTEGER NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    state_id    INTEGER NOT NULL REFERENCES states (id) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    PRIMARY KEY (instance_id, state_id)
);

-- A group's explicit mapping on an instance: the service's group it gives
-- ('': none, even where names match).
CREATE TABLE service_group_maps (
    instance_id INTEGER NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    external    TEXT NOT NULL,
    PRIMARY KEY (instance_id, group_id)
);

CREATE TABLE service_accounts (
    instance_id   INTEGER NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    external_id   TEXT NOT NULL,              -- the account's id on the service
    external_name TEXT NOT NULL,              -- the user's own name there (a Discord user name)
    name          TEXT NOT NULL,              -- the name applied
    groups        TEXT NOT NULL,              -- JSON array of the service's groups applied
    state         TEXT NOT NULL,              -- the connector's own record (Discord: the member's role ids)
    status        TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    last_error    TEXT NOT NULL,
    wanted        INTEGER NOT NULL,            -- raised by every change that may concern the account
    synced        INTEGER NOT NULL,            -- the value of wanted the last sync applied
    reason        TEXT NOT NULL DEFAULT '',   -- the first change since the last sync, for the audit log
    failures      INTEGER NOT NULL DEFAULT 0, -- syncs failed in a row
    retry_at      TIMESTAMP,                -- a failed sync is tried again from then
    last_sync_at  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (instance_id, account_id)
);
CREATE UNIQUE INDEX service_accounts_external ON service_accounts (instance_id, external_id);
CREATE INDEX service_accounts_account ON service_accounts (account_id);

-- Every change made on an external service: what, for whom, why, result.
CREATE TABLE service_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id  INTEGER NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    account_id   INTEGER,                      -- none for an instance's own change
    account_name TEXT NOT NULL,
    action       TEXT NOT NULL,               -- link, update, remove, unlink, verify...
    detail       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    result       TEXT NOT NULL,               -- '' for success, else the error
    actor_id     INTEGER,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX service_audit_instance ON service_audit (instance_id, id);
CREATE INDEX service_audit_account ON service_audit (account_id, id);

-- +goose Down
DROP TABLE service_audit;
DROP TABLE service_accounts;
DROP TABLE service_group_maps;
DROP TABLE service_name_formats;
DROP TABLE service_instances;
