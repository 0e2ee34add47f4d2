-- ESI's answers and limits, shared by every worker and every process of
-- Keepstar (internal/eve/esi). The cache holds GET answers until Expires and
-- their ETag for revalidation; the limits hold what ESI's headers said of the
-- error budget and the rate-limit buckets, so one process backs off when
-- another has spent them.
-- +goose Up
CREATE TABLE esi_cache (
    key           TEXT PRIMARY KEY,        -- sha256 of method, path and query, character, login
    etag          TEXT NOT NULL,
    expires       TIMESTAMPTZ NOT NULL,
    last_modified TIMESTAMPTZ NOT NULL,      -- 1970-01-01 when ESI sent none
    body          BYTEA NOT NULL,
    pages         BIGINT NOT NULL,
    updated       TIMESTAMPTZ NOT NULL
);
CREATE INDEX esi_cache_expires ON esi_cache (expires);

CREATE TABLE esi_limits (
    key            TEXT PRIMARY KEY,       -- "errors", "bucket:<group>:<token key>" or "route:<route>"
    remaining      BIGINT NOT NULL,       -- errors or tokens left, as ESI last said (tokens minus reservations)
    max_tokens     BIGINT NOT NULL,       -- a bucket's limit; 0 for the error budget
    window_seconds BIGINT NOT NULL,
    reset_at       TIMESTAMPTZ NOT NULL,     -- when the error window ends
    blocked_until  TIMESTAMPTZ NOT NULL,     -- no call before this (420, 429)
    next_slot      TIMESTAMPTZ NOT NULL,     -- the next paced call of a bucket near its reserve
    updated        TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE esi_limits;
DROP TABLE esi_cache;
