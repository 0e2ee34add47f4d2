-- The rate limits of the services Keepstar calls, shared by every process
-- on one database (internal/services/discord, DBLimiter): two processes
-- sending for one Discord bot must together stay within its limits, so each
-- reserves a request here before sending it and records what the answer
-- said. Rows are keyed by the service (a name for the bot, "discord:<bot>")
-- so that two bots never share limits. On SQLite, which one process serves,
-- Keepstar limits in memory; the tables serve the same code and its tests.
-- +goose Up
CREATE TABLE service_limits (
    service      TEXT NOT NULL,          -- whose limits: "discord:<bot>"
    key          TEXT NOT NULL,          -- "global", "route:<method> <path> <guild>" or "bucket:<bucket>:<guild>"
    learned      BOOLEAN NOT NULL,       -- route: an answer told its bucket, or that it has none
    bucket       TEXT NOT NULL,          -- route: X-RateLimit-Bucket ('' for none, or not learned yet)
    max_requests INTEGER NOT NULL,       -- bucket: X-RateLimit-Limit, the requests of one window
    remaining    INTEGER NOT NULL,       -- bucket: requests left in the window, less those reserved since
    reset_at     TIMESTAMP NOT NULL,     -- bucket: when the window ends
    reset_known  BOOLEAN NOT NULL,       -- bucket: false from a refill until an answer tells the new window's end
    refilled_at  TIMESTAMP NOT NULL,     -- bucket: when the window was last taken to have ended
    hold_until   TIMESTAMP NOT NULL,     -- no request before this (a 429's retry_after)
    busy_until   TIMESTAMP NOT NULL,     -- route whose bucket is unknown: its one request in flight, at most until this
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (service, key)
);

-- The global limit's sliding window: requests reserved per instant, kept for
-- one second.
CREATE TABLE service_limit_sends (
    service  TEXT NOT NULL,
    sent_at  TIMESTAMP NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (service, sent_at)
);

-- +goose Down
DROP TABLE service_limit_sends;
DROP TABLE service_limits;
