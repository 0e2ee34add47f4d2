-- Ship replacement (internal/apps/srp), Alliance Auth's SrpFleetMain and
-- SrpUserRequest: srp_fleets are the fleets officers open for requests
-- (a random code members quote), srp_requests one loss each. A killmail
-- is refunded once: killmail_id is unique across every request. A request
-- made from a zKillboard link has no hash yet (killmail_hash empty) until
-- the member adds the ESI link.
-- +goose Up
CREATE TABLE srp_fleets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    doctrine     TEXT NOT NULL,
    fleet_time   TIMESTAMP NOT NULL,
    commander    TEXT NOT NULL,
    code         TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    creator_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX srp_fleets_time ON srp_fleets (fleet_time);

CREATE TABLE srp_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    fleet_id       INTEGER NOT NULL REFERENCES srp_fleets (id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    killmail_id    INTEGER NOT NULL UNIQUE,
    killmail_hash  TEXT NOT NULL,           -- '' until known (zKillboard link)
    character_id   INTEGER NOT NULL,        -- 0 until the killmail is read
    character_name TEXT NOT NULL,
    ship_type_id   INTEGER NOT NULL,
    ship_name      TEXT NOT NULL,
    loss_value     REAL NOT NULL,
    additional     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    payout         REAL NOT NULL,
    comment        TEXT NOT NULL,
    decided_by     TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX srp_requests_fleet ON srp_requests (fleet_id, id);
CREATE INDEX srp_requests_account ON srp_requests (account_id);

-- +goose Down
DROP TABLE srp_requests;
DROP TABLE srp_fleets;
