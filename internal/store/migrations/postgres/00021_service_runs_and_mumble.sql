-- Connectors with work that runs as long as their instance is enabled
-- (Mumble's authenticator, which murmurd calls back) run in one process at
-- a time: the process holding an instance's run lease. It renews the lease
-- while it runs the work; another process takes over once it has lapsed.
--
-- Mumble's users (internal/services/mumble): what the authenticator answers
-- murmurd with, read by one indexed lookup per login. user_id is the id
-- Murmur knows the user by, fixed when the account is made (the service
-- account's external id), so that merges, which move service accounts
-- between Keepstar accounts, need not touch this table. The regroup secret
-- exists because murmurd keeps the groups a login was given for the user
-- id until that id authenticates again: Keepstar has murmurd verify a
-- password it made for the purpose (docs/services-mumble.md).
-- +goose Up
ALTER TABLE service_instances ADD COLUMN run_holder TEXT;
ALTER TABLE service_instances ADD COLUMN run_until TIMESTAMPTZ;

CREATE TABLE mumble_users (
    instance_id   BIGINT NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,          -- Murmur's id of the user (1,000,000,000 + the account's id when made)
    username      TEXT NOT NULL,             -- what the member logs in with
    username_key  TEXT NOT NULL,             -- lower-case username: Murmur compares names without case
    password_hash TEXT NOT NULL,             -- base64 HMAC-SHA256 of salt and password under a key from KEEPSTAR_SECRET_KEY
    salt          TEXT NOT NULL,
    display_name  TEXT NOT NULL,             -- the formatted name Murmur shows
    groups        TEXT NOT NULL,             -- the groups Murmur's ACLs see, one per line
    regroup_hash  TEXT NOT NULL DEFAULT '',  -- a one-time secret Keepstar logs in with to give live sessions new groups
    regroup_until TIMESTAMPTZ,                 -- until when that secret is good
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (instance_id, user_id)
);
CREATE UNIQUE INDEX mumble_users_login ON mumble_users (instance_id, username_key);

-- +goose Down
DROP TABLE mumble_users;
ALTER TABLE service_instances DROP COLUMN run_until;
ALTER TABLE service_instances DROP COLUMN run_holder;
