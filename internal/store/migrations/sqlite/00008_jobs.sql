-- What Keepstar knows of each kind of background job (internal/jobs): its
-- schedule, kept here so that a restart neither repeats nor skips a run,
-- and the outcome of its last run, for `keepstar jobs list` and the
-- operations page. River's own tables hold the jobs themselves.
-- +goose Up
CREATE TABLE job_kinds (
    kind             TEXT PRIMARY KEY,
    every_ms         INTEGER NOT NULL,         -- interval in milliseconds; 0: not scheduled
    next_run_at      TIMESTAMP,                  -- NULL when not scheduled
    last_queued_at   TIMESTAMP,
    last_job_id      INTEGER,
    last_started_at  TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_outcome     TEXT CHECK (last_outcome IN ('completed', 'failed', 'snoozed', 'cancelled')),
    last_error       TEXT NOT NULL DEFAULT '',
    last_duration_ms INTEGER,
    last_success_at  TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL
);

-- Progress a running job reports (jobs.Progress), read by `keepstar jobs
-- run --wait` and the operations page; the row goes when the run ends.
CREATE TABLE job_progress (
    job_id     INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    done       INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE job_progress;
DROP TABLE job_kinds;
