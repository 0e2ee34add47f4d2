package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/store"
)

// Outcomes of a run, as job_kinds and the metrics name them.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"    // River tries again, or gives up after MaxAttempts
	OutcomeSnoozed   = "snoozed"   // waiting on ESI's limits, resumes by itself
	OutcomeCancelled = "cancelled" // cancelled for good
)

// Snoozer is an error saying the work can go on after a while, such as ESI's
// limits (*esi.LimitedError): the job is put back for that long instead of
// failing, and no attempt is spent.
type Snoozer interface {
	error
	SnoozeFor() time.Duration
}

// RunMetrics count the runs of one process by kind and outcome.
type RunMetrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewRunMetrics makes the counters; register them with Collectors.
func NewRunMetrics() *RunMetrics {
	return &RunMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_job_runs_total",
			Help: "Job runs ended in this process, by kind and outcome (completed, failed, snoozed, cancelled)."}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "keepstar_job_duration_seconds",
			Help:    "Time job runs took in this process, by kind.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600}}, []string{"kind"}),
	}
}

// Collectors are the metrics to register.
func (m *RunMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.runs, m.duration}
}

// maxErrorLength bounds the error kept of a failed run.
const maxErrorLength = 500

// observe records each run of every job: its start and outcome in
// job_kinds, its progress, the metrics. An error that is a Snoozer becomes
// a snooze. Failing to record never fails the job.
func (q *Queue) observe(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	started := q.now()
	if _, err := q.db.Exec(ctx, `UPDATE job_kinds SET last_started_at = $2, last_job_id = $3, updated_at = $2 WHERE kind = $1`,
		job.Kind, started, job.ID); err != nil {
		q.logger.WarnContext(ctx, "cannot record the start of a job", "error", err)
	}
	err := doInner(withProgress(ctx, &progress{db: q.db, jobID: job.ID, kind: job.Kind}))
	var snooze Snoozer
	if errors.As(err, &snooze) {
		q.logger.InfoContext(ctx, "job waits on a limit", "for", snooze.SnoozeFor().Round(time.Second), "reason", snooze.Error())
		err = river.JobSnooze(max(snooze.SnoozeFor(), time.Second))
	}
	outcome, message := OutcomeCompleted, ""
	var snoozed *river.JobSnoozeError
	var cancelled *river.JobCancelError
	switch {
	case err == nil:
	case errors.As(err, &snoozed):
		outcome = OutcomeSnoozed
	case errors.As(err, &cancelled):
		outcome, message = OutcomeCancelled, err.Error()
	default:
		outcome, message = OutcomeFailed, err.Error()
	}
	if len(message) > maxErrorLength {
		message = message[:maxErrorLength] + "…"
	}
	finished := q.now()
	took := finished.Sub(started)
	// The run's context may be cancelled (a timeout, a shutdown): the
	// record is written all the same.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err2 := q.db.InTx(rctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(rctx, `UPDATE job_kinds SET last_finished_at = $2, last_outcome = $3, last_error = $4,
				last_duration_ms = $5, updated_at = $2 WHERE kind = $1`, job.Kind, finished, outcome, message, took.Milliseconds()); err != nil {
			return err
		}
		if outcome == OutcomeCompleted {
			if _, err := tx.Exec(rctx, `UPDATE job_kinds SET last_success_at = $2 WHERE kind = $1`, job.Kind, finished); err != nil {
				return err
			}
		}
		_, err := tx.Exec(rctx, `DELETE FROM job_progress WHERE job_id = $1`, job.ID)
		return err
	})
	if err2 != nil {
		q.logger.WarnContext(ctx, "cannot record the end of a job", "error", err2)
	}
	if q.metrics != nil {
		q.metrics.runs.WithLabelValues(job.Kind, outcome).Inc()
		q.metrics.duration.WithLabelValues(job.Kind).Observe(took.Seconds())
	}
	return err
}

// progress is the running job's progress reporter, in its context.
type progress struct {
	db    *store.DB
	jobID int64
	kind  string

	mu      sync.Mutex
	written time.Time
}

type progressKey struct{}

func withProgress(ctx context.Context, p *progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// progressEvery bounds how often a run's progress is written.
const progressEvery = time.Second

// Progress records how far the running job has come: done of total steps.
// Call it as often as is handy: it writes at most once a second, and
// always the last step. Outside a job it does nothing.
func Progress(ctx context.Context, done, total int64) {
	p, _ := ctx.Value(progressKey{}).(*progress)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if done < total && now.Sub(p.written) < progressEvery {
		return
	}
	p.written = now
	// Progress is a courtesy to whoever watches: a failure to write it
	// must not fail the job.
	_, _ = p.db.Exec(ctx, `INSERT INTO job_progress (job_id, kind, done, total, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (job_id) DO UPDATE SET done = excluded.done, total = excluded.total, updated_at = excluded.updated_at`,
		p.jobID, p.kind, done, total, now)
}

// RunProgress is the progress a running job reported last.
type RunProgress struct {
	JobID   int64
	Kind    string
	Done    int64
	Total   int64
	Updated time.Time
}

// Progresses lists the progress of the jobs running now, by job id.
func Progresses(ctx context.Context, q store.Querier) ([]RunProgress, error) {
	out, err := store.Collect(ctx, q, `SELECT job_id, kind, done, total, updated_at FROM job_progress ORDER BY job_id`, func(rows store.Rows, p *RunProgress) error {
		return rows.Scan(&p.JobID, &p.Kind, &p.Done, &p.Total, &p.Updated)
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: progress: %w", err)
	}
	return out, nil
}

// KindStatus is what is known of one kind of job: its schedule and its
// last run.
type KindStatus struct {
	Kind string
	// Every is the interval of its schedule; 0 when it has none or it is
	// turned off.
	Every       time.Duration
	NextRun     *time.Time
	LastQueued  *time.Time
	LastJobID   int64
	LastStarted *time.Time
	// LastFinished, LastOutcome, LastError and LastDuration tell how the
	// last run ended; LastOutcome is empty before any.
	LastFinished *time.Time
	LastOutcome  string
	LastError    string
	LastDuration time.Duration
	LastSuccess  *time.Time
}

// Running reports whether a run started and has not ended.
func (s KindStatus) Running() bool {
	return s.LastStarted != nil && (s.LastFinished == nil || s.LastFinished.Before(*s.LastStarted))
}

// Statuses lists every kind of job Keepstar has recorded, by kind.
func Statuses(ctx context.Context, q store.Querier) ([]KindStatus, error) {
	out, err := store.Collect(ctx, q, `SELECT kind, every_ms, next_run_at, last_queued_at, COALESCE(last_job_id, 0), last_started_at,
		last_finished_at, COALESCE(last_outcome, ''), last_error, COALESCE(last_duration_ms, 0), last_success_at
		FROM job_kinds ORDER BY kind`, func(rows store.Rows, s *KindStatus) error {
		var every, took int64
		err := rows.Scan(&s.Kind, &every, &s.NextRun, &s.LastQueued, &s.LastJobID, &s.LastStarted, &s.LastFinished,
			&s.LastOutcome, &s.LastError, &took, &s.LastSuccess)
		s.Every, s.LastDuration = time.Duration(every)*time.Millisecond, time.Duration(took)*time.Millisecond
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: statuses: %w", err)
	}
	return out, nil
}

// Finished counts the jobs that ended since a time, by kind and final
// state (completed, discarded: given up after its attempts, cancelled).
func Finished(ctx context.Context, q store.Querier, since time.Time) ([]KindStateCount, error) {
	out, err := store.Collect(ctx, q, `SELECT kind, state, count(*) FROM river_job WHERE finalized_at >= $1 GROUP BY kind, state ORDER BY kind, state`,
		scanKindStateCount, since)
	if err != nil {
		return nil, fmt.Errorf("jobs: finished: %w", err)
	}
	return out, nil
}

// Wait waits until a job has ended (completed, given up or cancelled) and
// gives its last row, telling onProgress what the job reports meanwhile.
// A run that fails and will be tried again is waited for too.
func (q *Queue) Wait(ctx context.Context, jobID int64, poll time.Duration, onProgress func(RunProgress, *rivertype.JobRow)) (*rivertype.JobRow, error) {
	for {
		job, err := q.client.JobGet(ctx, jobID)
		if err != nil {
			return nil, fmt.Errorf("jobs: job %d: %w", jobID, err)
		}
		if job.FinalizedAt != nil {
			return job, nil
		}
		if onProgress != nil {
			var p RunProgress
			err := q.db.QueryRow(ctx, `SELECT job_id, kind, done, total, updated_at FROM job_progress WHERE job_id = $1`, jobID).
				Scan(&p.JobID, &p.Kind, &p.Done, &p.Total, &p.Updated)
			if err != nil && !errors.Is(err, store.ErrNoRows) {
				return nil, fmt.Errorf("jobs: progress of job %d: %w", jobID, err)
			}
			onProgress(p, job)
		}
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-time.After(poll):
		}
	}
}
