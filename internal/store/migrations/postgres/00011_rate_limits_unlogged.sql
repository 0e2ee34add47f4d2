-- The rate-limit counters skip the write-ahead log: a request's upsert then
-- commits without waiting for the WAL to reach the disk (0.1 ms instead of
-- 1.7 ms for one busy app, measured; docs/performance.md), and counters a
-- crash empties only begin their windows again.
-- +goose Up
ALTER TABLE rate_limits SET UNLOGGED;

-- +goose Down
ALTER TABLE rate_limits SET LOGGED;
