package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// blockArgs is a test job that runs until its context ends.
type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started chan int64
	ended   chan error
}

func (w *blockWorker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	w.started <- job.ID
	<-ctx.Done()
	w.ended <- ctx.Err()
	return ctx.Err()
}

// A job still running when Stop's time is up is cancelled, and put back to
// run again, rather than left marked running until the rescuer's delay.
func TestStopCancelsWhatOutlivesIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		if _, err := db.MigrateSchema(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		w := &blockWorker{started: make(chan int64, 1), ended: make(chan error, 1)}
		reg := jobs.NewRegistry()
		jobs.Add(reg, w)
		q, err := jobs.New(ctx, db, reg, jobs.Options{Workers: 1, JobTimeout: time.Hour, RescueAfter: 2 * time.Hour,
			PollInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := q.Insert(ctx, blockArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wait(t, w.started, "the job to start")
		stop, cancel := context.WithCancel(ctx)
		cancel() // no time at all to finish
		if err := q.Stop(stop); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := wait(t, w.ended, "the job's context to end"); !errors.Is(err, context.Canceled) {
			t.Errorf("the job ended with %v, want its context cancelled", err)
		}
		row, err := q.Job(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if row.State == rivertype.JobStateRunning || row.FinalizedAt != nil {
			t.Errorf("after Stop the job is %s (finalized %v), want it waiting to run again", row.State, row.FinalizedAt)
		}
	})
}

// A queue that runs no schedules (`keepstar update`, maybe from cron with
// other settings) leaves the schedules as the server recorded them.
func TestQueueWithoutSchedulesLeavesThemAlone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		if _, err := db.MigrateSchema(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		start := func(override map[string]time.Duration, noSchedules bool, now time.Time) {
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: make(chan string, 10)})
			reg.Schedule(jobs.Periodic{Every: time.Hour, Args: func() river.JobArgs { return signalArgs{} }})
			if err := reg.Override(override); err != nil {
				t.Fatal(err)
			}
			q, err := jobs.New(ctx, db, reg, jobs.Options{Workers: 1, NoSchedules: noSchedules, JobTimeout: time.Minute,
				RescueAfter: 2 * time.Minute, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := q.Stop(stop); err != nil {
				t.Fatal(err)
			}
		}
		start(nil, false, t0)
		start(map[string]time.Duration{"test_signal": 0}, true, t0.Add(10*time.Minute))
		if s := status(t, db, "test_signal"); s.Every != time.Hour || s.NextRun == nil || !s.NextRun.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after a process without schedules: every %s, next %v; want the server's 1h and %v", s.Every, s.NextRun, t0.Add(time.Hour))
		}
		// A server with the new setting does change it.
		start(map[string]time.Duration{"test_signal": 0}, false, t0.Add(20*time.Minute))
		if s := status(t, db, "test_signal"); s.Every != 0 || s.NextRun != nil {
			t.Errorf("after a server turned it off: every %s, next %v", s.Every, s.NextRun)
		}
	})
}
