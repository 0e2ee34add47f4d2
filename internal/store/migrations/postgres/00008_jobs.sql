-- What Keepstar knows of each kind of background job (internal/jobs): its
-- schedule, kept here so that a restart neither repeats nor skips a run,
-- and the outcome of its last run, for `keepstar jobs list` and the
-- operations page. River's own tables hold the jobs themselves.
-- +goose Up
CREATE TABLE job_kinds (
    kind             TEXT PRIMARY KEY,
    every_ms         BIGINT NOT NULL,         -- interval in milliseconds; 0: not scheduled
    next_run_at      TIMESTAMPTZ,                  -- NULL when not scheduled
    last_queued_at   TIMESTAMPTZ,
    last_job_id      BIGINT,
    last_started_at  TIMESTAMPTZ,
    last_finished_at TIMESTAMPTZ,
    last_outcome     TEXT CHECK (last_outcome IN ('completed', 'failed', 'snoozed', 'cancelled')),
    last_error       TEXT NOT NULL DEFAULT '',
    last_duration_ms BIGINT,
    last_success_at  TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- Progress a running job reports (jobs.Progress), read by `keepstar jobs
-- run --wait` and the operations page; the row goes when the run ends.
CREATE TABLE job_progress (
    job_id     BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,
    done       BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE job_progress;
DROP TABLE job_kinds;
