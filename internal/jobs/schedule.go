package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// Periodic is a job Keepstar runs on a schedule, and on demand (`keepstar
// jobs run`, `keepstar update`).
type Periodic struct {
	// Args makes the job's arguments; their Kind names the schedule.
	Args func() river.JobArgs
	// Every is the default interval; KEEPSTAR_JOB_SCHEDULES overrides it.
	Every time.Duration
	// Priority orders jobs waiting together: 1 runs first, 4 last; zero
	// means 2.
	Priority int
	// MaxAttempts is how often a failing run is tried, with River's
	// growing backoff between tries, before it is given up; zero means 5.
	// A run given up is no loss: the next scheduled one comes.
	MaxAttempts int
	// Update is the job's place in `keepstar update`, which runs the jobs
	// that bring Keepstar up to date once, in this order; 0 leaves it out.
	Update int
	// Summary says what the job does, in English, for the operator's
	// `keepstar jobs list`.
	Summary string
	// Label and Help are the message ids of the job's name and of what it
	// does, as the operations page shows them in the reader's language;
	// the kind stays the job's technical name. The package declaring the
	// job owns them.
	Label, Help string
	// OnDemand, when set, makes the arguments of a run asked for by hand
	// (`keepstar jobs run`, `keepstar update`) where they differ from a
	// scheduled run's: a scheduled token check takes its share of the
	// tokens, one asked for checks them all.
	OnDemand func() river.JobArgs
}

// Kind is the kind of the job, which names the schedule.
func (p Periodic) Kind() string { return p.Args().Kind() }

// insertOpts are the options of a scheduled or on-demand run: unique by
// kind while one is waiting or running, so that a slow run is never
// overtaken by the next.
func (p Periodic) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Priority:    cmp.Or(p.Priority, 2),
		MaxAttempts: cmp.Or(p.MaxAttempts, 5),
		UniqueOpts:  river.UniqueOpts{ByState: waitingOrRunning},
	}
}

// waitingOrRunning are the states in which a job blocks another of its
// kind inserted unique.
var waitingOrRunning = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

// Schedule runs a job every p.Every, on one process only (the leader
// elected among the workers sharing the database). Its next run is kept in
// the database, so a restart neither repeats nor skips one.
func (r *Registry) Schedule(p Periodic) {
	kind := p.Kind()
	if _, twice := r.periodic[kind]; twice {
		panic("jobs: schedule " + kind + " registered twice")
	}
	if p.Every <= 0 {
		panic("jobs: schedule " + kind + " has no interval")
	}
	r.periodic[kind] = p
}

// Override applies KEEPSTAR_JOB_SCHEDULES: the interval of each named
// schedule, 0 to turn it off. A name that is no schedule is an error.
func (r *Registry) Override(every map[string]time.Duration) error {
	var unknown []string
	for name := range every {
		if _, ok := r.periodic[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("KEEPSTAR_JOB_SCHEDULES: no scheduled job is called %s; the jobs are %s",
			strings.Join(unknown, ", "), strings.Join(slices.Sorted(maps.Keys(r.periodic)), ", "))
	}
	if r.every == nil {
		r.every = map[string]time.Duration{}
	}
	maps.Copy(r.every, every)
	return nil
}

// Periodic lists the scheduled jobs by kind.
func (r *Registry) Periodic() []Periodic {
	out := slices.Collect(maps.Values(r.periodic))
	sort.Slice(out, func(i, j int) bool { return out[i].Kind() < out[j].Kind() })
	return out
}

// Lookup gives the scheduled job of a kind.
func (r *Registry) Lookup(kind string) (Periodic, bool) {
	p, ok := r.periodic[kind]
	return p, ok
}

// Every gives a schedule's interval as configured: 0 when turned off.
func (r *Registry) Every(kind string) time.Duration {
	if d, ok := r.every[kind]; ok {
		return d
	}
	return r.periodic[kind].Every
}

// UpdateJobs lists the jobs of `keepstar update`, in their order.
func (r *Registry) UpdateJobs() []Periodic {
	var out []Periodic
	for _, p := range r.periodic {
		if p.Update > 0 {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Update < out[j].Update })
	return out
}

// scheduleArgs is the scheduler's own tick: it queues the scheduled jobs
// that are due.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "jobs_schedule" }

// scheduleQueue is the River queue of the ticks.
const scheduleQueue = "jobs_schedule"

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	q *Queue
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	return w.q.queueDue(ctx, w.q.now())
}

// registerKinds writes a row for every kind of job into job_kinds, and the
// schedules as configured: a new schedule runs first one interval from
// now; a changed one keeps its last run and takes the new interval from
// there.
func (q *Queue) registerKinds(ctx context.Context) error {
	now := q.now()
	kinds := slices.Clone(q.reg.kinds)
	for kind := range q.reg.periodic {
		if !slices.Contains(kinds, kind) {
			return fmt.Errorf("jobs: %s is scheduled but has no worker", kind)
		}
	}
	return q.db.InTx(ctx, func(tx *store.Tx) error {
		for _, kind := range kinds {
			every := int64(0)
			if _, ok := q.reg.periodic[kind]; ok {
				every = q.reg.Every(kind).Milliseconds()
			}
			var next *time.Time
			if every > 0 {
				n := now.Add(time.Duration(every) * time.Millisecond)
				next = &n
			}
			if _, err := tx.Exec(ctx, `INSERT INTO job_kinds (kind, every_ms, next_run_at, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (kind) DO NOTHING`, kind, every, next, now); err != nil {
				return fmt.Errorf("jobs: register %s: %w", kind, err)
			}
			if !q.schedules {
				// A process that runs no schedules (`keepstar update` from
				// cron, whose KEEPSTAR_JOB_SCHEDULES may differ) must not
				// move the server's.
				continue
			}
			var was int64
			var lastQueued *time.Time
			if err := tx.QueryRow(ctx, `SELECT every_ms, last_queued_at FROM job_kinds WHERE kind = $1`, kind).Scan(&was, &lastQueued); err != nil {
				return fmt.Errorf("jobs: register %s: %w", kind, err)
			}
			if was == every {
				continue
			}
			if every > 0 && lastQueued != nil {
				n := lastQueued.Add(time.Duration(every) * time.Millisecond)
				next = &n
			}
			if _, err := tx.Exec(ctx, `UPDATE job_kinds SET every_ms = $2, next_run_at = $3, updated_at = $4 WHERE kind = $1`,
				kind, every, next, now); err != nil {
				return fmt.Errorf("jobs: register %s: %w", kind, err)
			}
		}
		return nil
	})
}

// queueDue queues every scheduled job whose time has come, each in a
// transaction with the move of its next run, so that a crash in between
// neither loses nor doubles a run. A run still waiting or running from
// before keeps its place, and the slot is skipped.
func (q *Queue) queueDue(ctx context.Context, now time.Time) error {
	var errs []error
	for _, p := range q.reg.Periodic() {
		kind := p.Kind()
		every := q.reg.Every(kind)
		if every <= 0 {
			continue
		}
		err := q.db.InTx(ctx, func(tx *store.Tx) error {
			lock := ""
			if tx.Dialect() == config.Postgres {
				lock = " FOR UPDATE"
			}
			var next *time.Time
			err := tx.QueryRow(ctx, `SELECT next_run_at FROM job_kinds WHERE kind = $1`+lock, kind).Scan(&next)
			if errors.Is(err, store.ErrNoRows) || err == nil && (next == nil || now.Before(*next)) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := q.client.insertTx(ctx, tx, p.Args(), p.insertOpts())
			if err != nil {
				return err
			}
			// The next run keeps to the schedule's rhythm, unless the
			// process was down for longer than a period: then it is one
			// period from now, never a burst of missed runs.
			after := next.Add(every)
			if !after.After(now) {
				after = now.Add(every)
			}
			_, err = tx.Exec(ctx, `UPDATE job_kinds SET next_run_at = $2, last_queued_at = $3, last_job_id = $4, updated_at = $3
				WHERE kind = $1`, kind, after, now, res.Job.ID)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("jobs: queue %s: %w", kind, err))
		}
	}
	return errors.Join(errs...)
}

// RunNow queues a scheduled job at once, outside its schedule. When a run
// of it is waiting or running already, that run is given instead
// (duplicate true): a job never runs twice at the same time.
func (q *Queue) RunNow(ctx context.Context, kind string) (jobID int64, duplicate bool, err error) {
	p, ok := q.reg.Lookup(kind)
	if !ok {
		return 0, false, fmt.Errorf("%w: %q", ErrUnknownJob, kind)
	}
	args := p.Args()
	if p.OnDemand != nil {
		args = p.OnDemand()
	}
	res, err := q.client.Insert(ctx, args, p.insertOpts())
	if err != nil {
		return 0, false, fmt.Errorf("jobs: run %s: %w", kind, err)
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}

// ErrUnknownJob is wrapped when a job is asked for by a name that is no
// scheduled job.
var ErrUnknownJob = errors.New("jobs: no such job")
