-- Web sessions (internal/sessions, through scs). A row is keyed by the hex
-- SHA-256 of the session's cookie token, never the token itself: a copy of
-- the database does not let anyone take over a session. data is scs's
-- encoding of the session's values; expiry is when the session ends. A row
-- past its expiry is never read again; the index lets the hourly cleanup
-- find those rows without reading the table.
-- +goose Up
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    expiry     TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
