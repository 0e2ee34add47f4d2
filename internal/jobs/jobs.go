package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/telemetry"
)

// Registry collects the workers and periodic schedules of every feature.
// Features add to it at start-up, before the Queue is built.
type Registry struct {
	workers  *river.Workers
	periodic map[string]Periodic
	// every holds the intervals configured (KEEPSTAR_JOB_SCHEDULES).
	every map[string]time.Duration
	kinds []string
	// scheduler is the worker of the schedules' tick, added to workers by
	// the first working Queue built over the registry.
	scheduler *scheduleWorker
	// queues are the queues beside the default one, by name: their most
	// jobs run at once in one process.
	queues map[string]int
}

// NewRegistry gives an empty registry.
func NewRegistry() *Registry {
	return &Registry{workers: river.NewWorkers(), periodic: map[string]Periodic{}}
}

// Add registers the worker for one kind of job.
func Add[T river.JobArgs](r *Registry, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
	var args T
	r.kinds = append(r.kinds, args.Kind())
}

// AddQueue declares a queue of its own for jobs that wait on something
// slow outside (a service's rate limits), so that they never hold every
// worker of the default queue: at most workers of its jobs run at once
// in each working process. Jobs go there by InsertOpts.Queue.
func (r *Registry) AddQueue(name string, workers int) {
	if r.queues == nil {
		r.queues = map[string]int{}
	}
	r.queues[name] = workers
}

// Kinds lists the kinds of job registered, sorted.
func (r *Registry) Kinds() []string { return slices.Sorted(slices.Values(r.kinds)) }

// Options configure a Queue.
type Options struct {
	// Workers is how many jobs run at once. Zero builds an insert-only queue
	// for web processes that work no jobs and run no schedules.
	Workers int
	// JobTimeout cancels a job running longer.
	JobTimeout time.Duration
	// RescueAfter re-runs a job left running (its process died) this long.
	RescueAfter time.Duration
	// PollInterval is how often workers look for new jobs when no
	// notification tells them (always on SQLite). Zero means one second.
	PollInterval time.Duration
	// NoSchedules works jobs without running the schedules (`keepstar
	// update` works the jobs it queues itself, beside any server).
	NoSchedules bool
	// ScheduleTick is how often the scheduler looks for jobs that are due;
	// zero means a minute, the shortest interval a schedule may have.
	ScheduleTick time.Duration
	// Retention is how long completed jobs are kept; zero keeps River's
	// default (24 hours). Failed and cancelled ones stay at least 7 days.
	Retention time.Duration
	// Metrics, when set, counts the runs of this process.
	Metrics *RunMetrics
	// Now is the clock of the schedules; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Queue is the job queue over either engine: River with its SQLite or pgx
// driver.
type Queue struct {
	client  queueClient
	working bool
	db      *store.DB
	reg     *Registry
	metrics *RunMetrics
	logger  *slog.Logger
	now     func() time.Time

	// schedules is true when the queue runs the schedules; a queue that
	// does not (`keepstar update`) leaves them to the server's settings.
	schedules bool
}

// queueClient is what Keepstar uses of a River client, whatever its
// transaction type.
type queueClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	insertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	retryTx(ctx context.Context, tx *store.Tx, id int64) (*rivertype.JobRow, error)
	// uiEndpoints are River UI's API over this client (ui.go).
	uiEndpoints() uiendpoints.Bundle
}

// riverClient adapts a River client of either transaction type; txOf picks
// the engine's transaction out of a store.Tx.
type riverClient[TTx any] struct {
	*river.Client[TTx]
	txOf func(*store.Tx) TTx
}

func (c riverClient[TTx]) insertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return c.Client.InsertTx(ctx, c.txOf(tx), args, opts)
}

func (c riverClient[TTx]) insertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return c.Client.InsertManyTx(ctx, c.txOf(tx), params)
}

func (c riverClient[TTx]) retryTx(ctx context.Context, tx *store.Tx, id int64) (*rivertype.JobRow, error) {
	return c.Client.JobRetryTx(ctx, c.txOf(tx), id)
}

// New builds the queue for db. It does not start working until Start.
func New(ctx context.Context, db *store.DB, reg *Registry, opts Options) (*Queue, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{db: db, reg: reg, metrics: opts.Metrics, logger: opts.Logger, now: opts.Now}
	if q.now == nil {
		q.now = time.Now
	}
	rc := &river.Config{
		Logger:               slog.New(riverLog{opts.Logger.Handler()}).With("component", "jobs"),
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		FetchPollInterval:    opts.PollInterval,
		Middleware:           []rivertype.Middleware{river.WorkerMiddlewareFunc(logJob), river.WorkerMiddlewareFunc(q.observe)},
	}
	if opts.Retention > 0 {
		rc.CompletedJobRetentionPeriod = opts.Retention
		rc.CancelledJobRetentionPeriod = max(opts.Retention, 7*24*time.Hour)
		rc.DiscardedJobRetentionPeriod = max(opts.Retention, 7*24*time.Hour)
	}
	// With no kind of job registered there is nothing to work: the queue
	// stays insert-only rather than poll for jobs no one could run.
	if opts.Workers > 0 && len(reg.kinds) > 0 {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		for name, workers := range reg.queues {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: workers}
		}
		rc.Workers = reg.workers
		if !opts.NoSchedules && len(reg.periodic) > 0 {
			if reg.scheduler == nil {
				reg.scheduler = &scheduleWorker{}
				river.AddWorker(reg.workers, reg.scheduler)
			}
			reg.scheduler.q = q
			// The ticks have their own queue, which only processes that
			// run the schedules work: one that runs none (`keepstar
			// update`) has no worker for them.
			rc.Queues[scheduleQueue] = river.QueueConfig{MaxWorkers: 1}
			rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
				river.PeriodicInterval(cmp.Or(opts.ScheduleTick, time.Minute)),
				func() (river.JobArgs, *river.InsertOpts) {
					return scheduleArgs{}, &river.InsertOpts{Queue: scheduleQueue, Priority: 1, MaxAttempts: 1,
						UniqueOpts: river.UniqueOpts{ByState: waitingOrRunning}}
				},
				&river.PeriodicJobOpts{ID: "jobs_schedule", RunOnStart: true},
			)}
		}
	}
	schema, err := db.CurrentSchema(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	rc.Schema = schema

	q.working = rc.Queues != nil
	q.schedules = rc.PeriodicJobs != nil
	switch db.Dialect() {
	case config.SQLite:
		c, err := river.NewClient(riversqlite.New(db.SQLWriter()), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		q.client = riverClient[*sql.Tx]{c, (*store.Tx).SQLTx}
	case config.Postgres:
		c, err := river.NewClient(riverpgxv5.New(db.PgxPool()), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		q.client = riverClient[pgx.Tx]{c, (*store.Tx).PgxTx}
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", db.Dialect())
	}
	return q, nil
}

// logJob puts the job's id and kind on every log line written while it runs.
func logJob(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx = telemetry.WithAttrs(ctx, slog.Int64("job_id", job.ID), slog.String("job_kind", job.Kind))
	return doInner(ctx)
}

// Start begins working jobs and, on the elected leader, running schedules.
// An insert-only queue starts nothing.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.registerKinds(ctx); err != nil {
		return err
	}
	return q.client.Start(ctx)
}

// Stop stops fetching new jobs and waits for running ones until ctx ends;
// then they are cancelled and, having not finished, are run again later.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// River's Stop only stops waiting: the jobs still running are
		// cancelled here, so that they end now and River puts them back to
		// be run again at once, rather than stay marked running until the
		// rescuer's delay. They get a moment to record it before the
		// database closes.
		cctx, cancel := context.WithTimeout(context.Background(), cancelWait)
		defer cancel()
		if err := q.client.StopAndCancel(cctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
	return err
}

// cancelWait is how long Stop waits for cancelled jobs to return.
const cancelWait = 10 * time.Second

// Insert queues a job outside any transaction, for work that does not depend
// on data being written (an administrator's "run now").
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.client.Insert(ctx, args, opts)
}

// InsertTx queues a job in tx: it exists if and only if tx commits, so a job
// never runs on data that was rolled back, and data is never written without
// the job that must follow it.
func (q *Queue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.client.insertTx(ctx, tx, args, opts)
}

// InsertManyTx queues many jobs in tx in one statement (unique ones
// included: those already waiting are skipped), for a change that
// concerns thousands of accounts.
func (q *Queue) InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if len(params) == 0 {
		return nil, nil
	}
	return q.client.insertManyTx(ctx, tx, params)
}

// RetryTx makes a job waiting for its time (scheduled, or retryable
// after an error) available at once, in tx; a running job is left as it
// is (River's JobRetryTx). A job scheduled for later is brought forward
// this way when work it would do is due now.
func (q *Queue) RetryTx(ctx context.Context, tx *store.Tx, id int64) (*rivertype.JobRow, error) {
	return q.client.retryTx(ctx, tx, id)
}

// Job reads a job's current row.
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return q.client.JobGet(ctx, id)
}

// Migrate applies River's own migrations, and reports how many ran.
func Migrate(ctx context.Context, db *store.DB, logger *slog.Logger) (int, error) {
	res, err := withMigrator(ctx, db, logger, func(m migrator) (*rivermigrate.MigrateResult, error) {
		return m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate: %w", err)
	}
	return len(res.Versions), nil
}

// Pending reports River migrations not yet applied, as readable messages.
func Pending(ctx context.Context, db *store.DB) ([]string, error) {
	var messages []string
	_, err := withMigrator(ctx, db, nil, func(m migrator) (*rivermigrate.MigrateResult, error) {
		res, err := m.Validate(ctx, nil)
		if err == nil && !res.OK {
			messages = res.Messages
		}
		return nil, err
	})
	return messages, err
}

// migrator is what Keepstar uses of a River migrator, whatever its
// transaction type.
type migrator interface {
	Migrate(ctx context.Context, direction rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (*rivermigrate.MigrateResult, error)
	Validate(ctx context.Context, opts *rivermigrate.ValidateOpts) (*rivermigrate.ValidateResult, error)
}

func withMigrator(ctx context.Context, db *store.DB, logger *slog.Logger, fn func(migrator) (*rivermigrate.MigrateResult, error)) (*rivermigrate.MigrateResult, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	schema, err := db.CurrentSchema(ctx)
	if err != nil {
		return nil, err
	}
	cfg := &rivermigrate.Config{Logger: slog.New(riverLog{logger.Handler()}).With("component", "jobs"), Schema: schema}
	var m migrator
	switch db.Dialect() {
	case config.SQLite:
		m, err = rivermigrate.New(riversqlite.New(db.SQLWriter()), cfg)
	case config.Postgres:
		m, err = rivermigrate.New(riverpgxv5.New(db.PgxPool()), cfg)
	default:
		err = fmt.Errorf("unknown dialect %q", db.Dialect())
	}
	if err != nil {
		return nil, err
	}
	return fn(m)
}
