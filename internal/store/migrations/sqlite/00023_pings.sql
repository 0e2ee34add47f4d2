-- Group pings (internal/apps/pings): a message a member sends to the
-- members of chosen groups over a service (XMPP), and perhaps posts in a
-- Discord channel. One row per ping, as sent (the text with its "sent by"
-- line, the groups by id and by name as they were called then), and one
-- row per service it goes to, with what its job did. sender_id has no
-- foreign key: the record outlives the account (accounts merge, the name
-- is kept).
-- +goose Up
CREATE TABLE pings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id   INTEGER NOT NULL,
    sender_name TEXT NOT NULL,
    groups      TEXT NOT NULL,              -- JSON array of {"id", "name"}
    message     TEXT NOT NULL,              -- the text sent, with its "sent by" line
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX pings_created ON pings (created_at);
CREATE INDEX pings_sender ON pings (sender_id);

CREATE TABLE ping_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ping_id       INTEGER NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
    instance_id   INTEGER REFERENCES service_instances (id) ON DELETE SET NULL,
    instance_name TEXT NOT NULL,            -- kept when the instance is deleted
    kind          TEXT NOT NULL CHECK (kind IN ('members', 'channel')),
    status        TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    recipients    INTEGER NOT NULL,
    delivered     INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    error         TEXT NOT NULL,
    done_at       TIMESTAMP
);
CREATE INDEX ping_deliveries_ping ON ping_deliveries (ping_id);

-- +goose Down
DROP TABLE ping_deliveries;
DROP TABLE pings;
