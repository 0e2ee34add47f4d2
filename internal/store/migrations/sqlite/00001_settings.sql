-- Settings an administrator changes at run time (the configuration file holds
-- only what is needed to start). Features read and write their own names.
-- +goose Up
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE settings;
