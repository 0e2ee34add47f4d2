-- PostgreSQL's rate_limits table stops writing the WAL in this version.
-- SQLite counts rate limits in memory and has nothing to change; the
-- version exists so that both engines carry the same ones.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
