-- Structure timers (internal/apps/timers), Alliance Auth's timerboard: when
-- a structure comes out of reinforcement. corporation_id is set for a
-- corporation-only timer (the creator's main's corporation then); only
-- members whose main is in it see it. notified_at records the reminder
-- sent before the timer comes out, so that it goes once.
--
-- calendar_feeds (internal/apps/calendar) holds each member's secret
-- calendar link as a SHA-256 hash: the feed of timers and fleet operations
-- came with the timers.
-- +goose Up
CREATE TABLE timers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    system         TEXT NOT NULL,
    planet_moon    TEXT NOT NULL,
    structure      TEXT NOT NULL,
    timer_type     TEXT NOT NULL CHECK (timer_type IN ('shield', 'armor', 'hull', 'final', 'anchoring', 'unanchoring')),
    objective      TEXT NOT NULL CHECK (objective IN ('friendly', 'hostile', 'neutral')),
    eve_time       TIMESTAMP NOT NULL,
    important      BOOLEAN NOT NULL,
    owner          TEXT NOT NULL,
    details        TEXT NOT NULL,
    corporation_id INTEGER,
    creator_id     INTEGER NOT NULL,         -- no foreign key: the record outlives the account
    creator_name   TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    notified_at    TIMESTAMP
);
CREATE INDEX timers_eve_time ON timers (eve_time);
CREATE INDEX timers_due ON timers (eve_time) WHERE notified_at IS NULL;

CREATE TABLE calendar_feeds (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE timers;
