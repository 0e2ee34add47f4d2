-- Fleet operations (internal/apps/fleetops), Alliance Auth's optimer:
-- scheduled operations with their doctrine, form-up system, start (EVE
-- time), duration and fleet commander. notified_at records the reminder
-- sent before the start, so that it goes once.
-- +goose Up
CREATE TABLE fleet_operations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    doctrine     TEXT NOT NULL,
    system       TEXT NOT NULL,
    start_at     TIMESTAMP NOT NULL,
    duration     TEXT NOT NULL,
    fc           TEXT NOT NULL,
    op_type      TEXT NOT NULL,
    description  TEXT NOT NULL,
    creator_id   INTEGER NOT NULL,           -- no foreign key: the record outlives the account
    creator_name TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    notified_at  TIMESTAMP
);
CREATE INDEX fleet_operations_start ON fleet_operations (start_at);
CREATE INDEX fleet_operations_due ON fleet_operations (start_at) WHERE notified_at IS NULL;

-- +goose Down
DROP TABLE fleet_operations;
