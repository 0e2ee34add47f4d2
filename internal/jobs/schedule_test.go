package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// clock is a settable time for the schedules.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.t.Store(&t) }
func (c *clock) now() time.Time   { return *c.t.Load() }

func startQueueWith(t *testing.T, db *store.DB, reg *jobs.Registry, opts jobs.Options) *jobs.Queue {
	t.Helper()
	opts.Workers, opts.JobTimeout, opts.RescueAfter = 2, time.Minute, 2*time.Minute
	opts.PollInterval, opts.ScheduleTick = 100*time.Millisecond, 50*time.Millisecond
	q, err := jobs.New(context.Background(), db, reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(ctx)
		}
	}
	t.Cleanup(stop)
	return q
}

func status(t *testing.T, db *store.DB, kind string) jobs.KindStatus {
	t.Helper()
	all, err := jobs.Statuses(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == kind {
			return s
		}
	}
	t.Fatalf("no status of %s in %+v", kind, all)
	return jobs.KindStatus{}
}

// noRun fails the test if something arrives on ch within a while.
func noRun[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: %v", what, v)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestScheduleKeepsItsRhythmAcrossRestarts: a schedule's next run is kept
// in the database. A new schedule first runs one interval after it is
// first seen; a restart neither repeats nor skips a run; a process down
// for longer than a period runs once, not once per missed period; a
// changed interval counts from the last run.
func TestScheduleKeepsItsRhythmAcrossRestarts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := jobs.Migrate(context.Background(), db, nil); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		clk := newClock(t0)
		ran := make(chan string, 10)
		newReg := func(override map[string]time.Duration) *jobs.Registry {
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: ran})
			reg.Schedule(jobs.Periodic{Every: time.Hour, Args: func() river.JobArgs { return signalArgs{Note: "hourly"} }})
			if err := reg.Override(override); err != nil {
				t.Fatal(err)
			}
			return reg
		}
		start := func(reg *jobs.Registry) func() {
			q, err := jobs.New(context.Background(), db, reg, jobs.Options{Workers: 1, JobTimeout: time.Minute, RescueAfter: 2 * time.Minute,
				PollInterval: 100 * time.Millisecond, ScheduleTick: 50 * time.Millisecond, Now: clk.now})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			return func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				q.Stop(ctx)
			}
		}

		stop := start(newReg(nil))
		if s := status(t, db, "test_signal"); s.Every != time.Hour || s.NextRun == nil || !s.NextRun.Equal(t0.Add(time.Hour)) {
			t.Fatalf("new schedule: every %s, next %v; want 1h and %v", s.Every, s.NextRun, t0.Add(time.Hour))
		}
		noRun(t, ran, "ran before its time")
		clk.set(t0.Add(time.Hour))
		wait(t, ran, "the first run")
		noRun(t, ran, "ran twice in its hour")

		// A restart within the hour runs nothing.
		stop()
		clk.set(t0.Add(90 * time.Minute))
		stop = start(newReg(nil))
		noRun(t, ran, "ran again after a restart")
		if s := status(t, db, "test_signal"); !s.NextRun.Equal(t0.Add(2 * time.Hour)) {
			t.Errorf("next run after the restart %v, want %v", s.NextRun, t0.Add(2*time.Hour))
		}

		// Down for five hours: one run, then the next an hour later.
		stop()
		clk.set(t0.Add(7 * time.Hour))
		stop = start(newReg(nil))
		wait(t, ran, "the run after a long stop")
		noRun(t, ran, "missed runs made up in a burst")
		if s := status(t, db, "test_signal"); !s.NextRun.Equal(t0.Add(8*time.Hour)) || !s.LastQueued.Equal(t0.Add(7*time.Hour)) {
			t.Errorf("after a long stop: next %v, last queued %v", s.NextRun, s.LastQueued)
		}

		// Every three hours from now on: counted from the last run.
		stop()
		stop = start(newReg(map[string]time.Duration{"test_signal": 3 * time.Hour}))
		if s := status(t, db, "test_signal"); s.Every != 3*time.Hour || !s.NextRun.Equal(t0.Add(10*time.Hour)) {
			t.Errorf("changed interval: every %s, next %v; want 3h and %v", s.Every, s.NextRun, t0.Add(10*time.Hour))
		}
		// Turned off: never queued.
		stop()
		stop = start(newReg(map[string]time.Duration{"test_signal": 0}))
		clk.set(t0.Add(20 * time.Hour))
		noRun(t, ran, "a schedule turned off ran")
		if s := status(t, db, "test_signal"); s.Every != 0 || s.NextRun != nil {
			t.Errorf("turned off: every %s, next %v", s.Every, s.NextRun)
		}
		stop()
	})
}

func TestOverrideRefusesUnknownNames(t *testing.T) {
	reg := jobs.NewRegistry()
	jobs.Add(reg, &signalWorker{})
	reg.Schedule(jobs.Periodic{Every: time.Hour, Args: func() river.JobArgs { return signalArgs{} }})
	err := reg.Override(map[string]time.Duration{"test_signal": time.Minute, "tokens_chek": time.Hour})
	if err == nil || !strings.Contains(err.Error(), "tokens_chek") || !strings.Contains(err.Error(), "test_signal") {
		t.Errorf("Override with a misspelt name: %v", err)
	}
	if reg.Every("test_signal") != time.Hour {
		t.Errorf("a refused override changed the interval to %s", reg.Every("test_signal"))
	}
}

// stepArgs is a job that reports progress, waits to be let go, and ends as
// its script says: "ok", "fail", "snooze" or "cancel".
type stepArgs struct {
	Ends []string `json:"ends"`
}

func (stepArgs) Kind() string { return "test_steps" }

type limited struct{ after time.Duration }

func (l limited) Error() string            { return "limited for a while" }
func (l limited) SnoozeFor() time.Duration { return l.after }

type stepWorker struct {
	river.WorkerDefaults[stepArgs]
	mu      sync.Mutex
	run     int
	started chan int64
	release chan struct{}
}

func (w *stepWorker) Work(ctx context.Context, job *river.Job[stepArgs]) error {
	w.mu.Lock()
	i := w.run
	w.run++
	w.mu.Unlock()
	jobs.Progress(ctx, 3, 10)
	w.started <- job.ID
	<-w.release
	jobs.Progress(ctx, 10, 10)
	switch job.Args.Ends[min(i, len(job.Args.Ends)-1)] {
	case "fail":
		return errors.New("the simulated ESI said no")
	case "snooze":
		return limited{after: time.Second}
	case "cancel":
		return river.JobCancel(errors.New("not wanted"))
	}
	return nil
}

func (w *stepWorker) NextRetry(*river.Job[stepArgs]) time.Time { return time.Now() }

// TestRunsAreRecorded: each run's start, progress, outcome and error are
// recorded for the kind, and counted in the metrics; a Snoozer error puts
// the job back without failing it; RunNow gives the run already waiting.
func TestRunsAreRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		w := &stepWorker{started: make(chan int64, 4), release: make(chan struct{})}
		reg := jobs.NewRegistry()
		jobs.Add(reg, w)
		reg.Schedule(jobs.Periodic{Every: 24 * time.Hour, MaxAttempts: 3,
			Args: func() river.JobArgs { return stepArgs{Ends: []string{"fail", "snooze", "ok"}} }})
		metrics := jobs.NewRunMetrics()
		q := startQueueWith(t, db, reg, jobs.Options{Metrics: metrics})

		id, dup, err := q.RunNow(ctx, "test_steps")
		if err != nil || dup {
			t.Fatalf("RunNow: %d %v %v", id, dup, err)
		}
		if got := wait(t, w.started, "the first try"); got != id {
			t.Fatalf("ran job %d, queued %d", got, id)
		}
		// While it runs: asking again gives the same run, and its progress
		// shows.
		again, dup, err := q.RunNow(ctx, "test_steps")
		if err != nil || !dup || again != id {
			t.Errorf("RunNow while running: %d %v %v; want %d, duplicate", again, dup, err, id)
		}
		if _, _, err := q.RunNow(ctx, "no_such_job"); !errors.Is(err, jobs.ErrUnknownJob) {
			t.Errorf("RunNow of an unknown job: %v", err)
		}
		if s := status(t, db, "test_steps"); !s.Running() || s.LastJobID != id {
			t.Errorf("while running: %+v", s)
		}
		ps, err := jobs.Progresses(ctx, db)
		if err != nil || len(ps) != 1 || ps[0].JobID != id || ps[0].Done != 3 || ps[0].Total != 10 {
			t.Errorf("progress while running: %+v %v", ps, err)
		}

		progressed := make(chan jobs.RunProgress, 100)
		done := make(chan *rivertype.JobRow, 1)
		go func() {
			job, err := q.Wait(ctx, id, 20*time.Millisecond, func(p jobs.RunProgress, job *rivertype.JobRow) {
				if p.Total > 0 {
					progressed <- p
				}
			})
			if err != nil {
				t.Error(err)
			}
			done <- job
		}()
		w.release <- struct{}{} // fails
		wait(t, w.started, "the second try")
		if p := wait(t, progressed, "progress seen by Wait"); p.JobID != id || p.Total != 10 {
			t.Errorf("Wait saw progress %+v", p)
		}
		if s := status(t, db, "test_steps"); s.LastOutcome != jobs.OutcomeFailed || s.LastError != "the simulated ESI said no" || s.LastSuccess != nil {
			t.Errorf("after a failure: outcome %q, error %q, success %v", s.LastOutcome, s.LastError, s.LastSuccess)
		}
		w.release <- struct{}{} // snoozes
		wait(t, w.started, "the run after the snooze")
		if s := status(t, db, "test_steps"); s.LastOutcome != jobs.OutcomeSnoozed {
			t.Errorf("after a snooze: outcome %q", s.LastOutcome)
		}
		w.release <- struct{}{} // completes
		job := wait(t, done, "the end of the job")
		if job.State != rivertype.JobStateCompleted {
			t.Errorf("the job ended %s", job.State)
		}
		s := status(t, db, "test_steps")
		if s.LastOutcome != jobs.OutcomeCompleted || s.LastError != "" || s.LastSuccess == nil || s.LastFinished == nil || s.Running() {
			t.Errorf("after success: %+v", s)
		}
		if ps, _ := jobs.Progresses(ctx, db); len(ps) != 0 {
			t.Errorf("progress left after the run: %+v", ps)
		}
		for outcome, want := range map[string]float64{jobs.OutcomeFailed: 1, jobs.OutcomeSnoozed: 1, jobs.OutcomeCompleted: 1} {
			if got := counter(t, metrics, "test_steps", outcome); got != want {
				t.Errorf("keepstar_job_runs_total{outcome=%q} = %v, want %v", outcome, got, want)
			}
		}
		fin, err := jobs.Finished(ctx, db, time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var steps []jobs.KindStateCount
		for _, f := range fin {
			if f.Kind == "test_steps" {
				steps = append(steps, f)
			}
		}
		if len(steps) != 1 || steps[0].State != "completed" || steps[0].Count != 1 {
			t.Errorf("test_steps finished in the last hour: %+v", steps)
		}
	})
}

func counter(t *testing.T, m *jobs.RunMetrics, kind, outcome string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "keepstar_job_runs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
