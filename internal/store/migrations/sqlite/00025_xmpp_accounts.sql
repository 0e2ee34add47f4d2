-- The XMPP connector's record of the login names it made
-- (internal/services/xmpp): which Keepstar account each name on an
-- instance's server was made for. A member who loses access keeps a locked
-- account on the server (the name stays theirs, so nobody else can
-- register it); when they come back, the record says that the locked
-- account is theirs to unlock, and that a name made for another account,
-- or never made by Keepstar, is not.
-- +goose Up
CREATE TABLE xmpp_accounts (
    instance_id INTEGER NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    username    TEXT NOT NULL,       -- the JID's local part, as the server stores it
    account_id  INTEGER NOT NULL,    -- the Keepstar account it was made for
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (instance_id, username)
);

-- +goose Down
DROP TABLE xmpp_accounts;
