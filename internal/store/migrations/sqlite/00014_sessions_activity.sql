-- Web sessions managed by Keepstar itself (internal/sessions; decision 0021)
-- in place of scs. A row is still keyed by the hex SHA-256 of the cookie's
-- token, never the token. data is the JSON of the session's values (scs's
-- gob encoding is not read any more, so the sessions of before are dropped:
-- everyone logs in once more). character_id is the character logged in
-- (NULL for a visitor), so that a member's sessions can be listed and ended.
-- A session ends at expiry (its absolute lifetime) or when last_seen is
-- older than the idle timeout; last_seen is written at most every few
-- minutes. address is the client's address truncated to its /24 (IPv4) or
-- /48 (IPv6), agent a summary of its User-Agent (browser and system): enough
-- for a member to recognise a session, not to track anyone.
-- +goose Up
DROP TABLE sessions;
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    data         BLOB NOT NULL,
    character_id INTEGER,
    created_at   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    expiry       TIMESTAMP NOT NULL,
    address      TEXT NOT NULL,
    agent        TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
CREATE INDEX sessions_character ON sessions (character_id);

-- +goose Down
DROP TABLE sessions;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expiry     TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);
