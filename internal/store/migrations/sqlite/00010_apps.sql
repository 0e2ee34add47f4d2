-- Applications using the Application API (internal/appapi), as Neucore has
-- them: roles, the groups they may see, the EVE logins whose tokens they may
-- use, their managers. The secret is stored only as an argon2id hash;
-- version grows with every change, so every process notices a change (a new
-- secret above all) on the next request.
-- +goose Up
CREATE TABLE apps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,            -- '' until a manager makes a secret
    version     INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE app_roles (
    app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    role   TEXT NOT NULL,
    PRIMARY KEY (app_id, role)
);

CREATE TABLE app_groups (
    app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, group_id)
);
CREATE INDEX app_groups_group ON app_groups (group_id);

CREATE TABLE app_eve_logins (
    app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    login  TEXT NOT NULL,
    PRIMARY KEY (app_id, login)
);

CREATE TABLE app_managers (
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    PRIMARY KEY (app_id, account_id)
);
CREATE INDEX app_managers_account ON app_managers (account_id);

-- Requests per app and hour, for statistics (Neucore's AppRequests).
CREATE TABLE app_requests (
    app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    hour     TIMESTAMP NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (app_id, hour)
);

-- Fixed-window request counters shared by every process (the app and IP
-- rate limits when scaled out): one row per key and window.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    requests     INTEGER NOT NULL
);

-- EVE logins get the number Neucore's API gives them (EveLogin.id,
-- EsiToken.eveLoginId): in the order they were made, built-in ones by name.
ALTER TABLE eve_logins ADD COLUMN id INTEGER;
UPDATE eve_logins SET id = (SELECT count(*) FROM eve_logins e WHERE e.created_at < eve_logins.created_at
    OR (e.created_at = eve_logins.created_at AND e.name <= eve_logins.name));
CREATE UNIQUE INDEX eve_logins_id ON eve_logins (id);

-- +goose Down
DROP INDEX eve_logins_id;
ALTER TABLE eve_logins DROP COLUMN id;
DROP TABLE rate_limits;
DROP TABLE app_requests;
DROP TABLE app_managers;
DROP TABLE app_eve_logins;
DROP TABLE app_groups;
DROP TABLE app_roles;
DROP TABLE apps;
