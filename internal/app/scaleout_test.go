package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The tests of this file run several Keepstar processes on one database
// and show that background jobs scale out and survive crashes: each job
// runs once whichever process takes it, the workers share the work, one
// leader queues the schedules, the ESI budget one process learns holds the
// others back, and a job whose worker was killed is run again after a
// restart. docs/scale-out.md names them.

// affiliationRoute is the ESI call each run of affiliations_sync makes once
// (one batch: the sites here know fewer than 1000 characters).
const affiliationRoute = "POST /characters/affiliation"

const syncKind = "affiliations_sync"

// worker is a worker process of a test with its own run counters.
type worker struct {
	*sitetest.Process
	metrics *jobs.RunMetrics
}

// startWorker starts a worker process beside site's (with cfg, the site's
// configuration when nil).
func startWorker(t *testing.T, site *sitetest.Site, cfg *config.Config, opts app.Options) *worker {
	t.Helper()
	w := &worker{metrics: jobs.NewRunMetrics()}
	opts.Mode, opts.RunMetrics = app.WorkerOnly, w.metrics
	w.Process = site.StartProcess(t, cfg, opts)
	return w
}

// runs counts the runs of kind that ended in outcome in this worker.
func (w *worker) runs(t *testing.T, kind, outcome string) int {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(w.metrics.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
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
				n += int(m.GetCounter().GetValue())
			}
		}
	}
	return n
}

// waitUntil polls cond until it holds, failing the test after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// job reads a job's row.
func job(t *testing.T, q *jobs.Queue, id int64) *rivertype.JobRow {
	t.Helper()
	row, err := q.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// ranOnce fails the test unless the job completed at its first attempt, in
// one process.
func ranOnce(t *testing.T, row *rivertype.JobRow) {
	t.Helper()
	if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.AttemptedBy) != 1 {
		t.Errorf("job %d: %s at attempt %d, worked by %v: want completed once", row.ID, row.State, row.Attempt, row.AttemptedBy)
	}
}

// loggedInCharacters logs a member with two characters in through the
// site, so that affiliations_sync has characters to look up, and gives
// their ids.
func loggedInCharacters(t *testing.T, site *sitetest.Site) []int32 {
	t.Helper()
	chars := site.AccountCharacters(t, 2)
	b := site.NewBrowser(t)
	b.LogIn(t, chars[0])
	b.AddCharacter(t, chars[1])
	return chars
}

// A web process and two workers on one PostgreSQL database: a batch of
// jobs is shared by the two workers and each job runs once, in one of
// them, making one call to ESI; two "run now" of the same job at the same
// moment, one from each worker, queue one run.
func TestScaleOutEachJobRunsOnceAndWorkersShareThem(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.Postgres, Mode: app.WebOnly,
		// One job at a time per worker: neither can take the whole batch.
		Env: map[string]string{"KEEPSTAR_JOB_WORKERS": "1"}})
	ctx := context.Background()
	loggedInCharacters(t, site)
	workers := []*worker{startWorker(t, site, nil, app.Options{}), startWorker(t, site, nil, app.Options{})}

	// Each lookup takes a while at ESI, so the worker that fetches first
	// is still busy when the other fetches.
	if err := site.Sim.ESI.SetLatency(affiliationRoute, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	calls := site.Sim.ESI.Requests()[affiliationRoute]
	const batch = 12
	var ids []int64
	for range batch {
		// Not unique, unlike a scheduled run: twelve jobs of one kind.
		res, err := workers[0].Queue.Insert(ctx, affiliations.SyncArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	for _, id := range ids {
		waitUntil(t, fmt.Sprintf("job %d to end", id), func() bool { return job(t, workers[0].Queue, id).FinalizedAt != nil })
		ranOnce(t, job(t, workers[0].Queue, id))
	}
	a, b := workers[0].runs(t, syncKind, jobs.OutcomeCompleted), workers[1].runs(t, syncKind, jobs.OutcomeCompleted)
	if a+b != batch || a == 0 || b == 0 {
		t.Errorf("the workers ran %d and %d jobs: want %d in all, some in each", a, b, batch)
	}
	if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != batch {
		t.Errorf("ESI saw %d affiliation lookups for %d runs", got, batch)
	}

	// "Run now" from both workers at once: one run, the second ask given
	// the first's job. The lookup's latency keeps the run going meanwhile.
	if err := site.Sim.ESI.SetLatency(affiliationRoute, time.Second); err != nil {
		t.Fatal(err)
	}
	calls = site.Sim.ESI.Requests()[affiliationRoute]
	type asked struct {
		id        int64
		duplicate bool
		err       error
	}
	answers := make([]asked, len(workers))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, w := range workers {
		done.Go(func() {
			start.Wait()
			answers[i].id, answers[i].duplicate, answers[i].err = w.Queue.RunNow(ctx, syncKind)
		})
	}
	start.Done()
	done.Wait()
	for _, a := range answers {
		if a.err != nil {
			t.Fatal(a.err)
		}
	}
	if answers[0].id != answers[1].id || answers[0].duplicate == answers[1].duplicate {
		t.Fatalf("run now from both workers: %+v, want one job, asked once and found once", answers)
	}
	waitUntil(t, "the run asked for", func() bool { return job(t, workers[0].Queue, answers[0].id).FinalizedAt != nil })
	ranOnce(t, job(t, workers[0].Queue, answers[0].id))
	if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != 1 {
		t.Errorf("ESI saw %d affiliation lookups for one run", got)
	}
}

// Two workers on one PostgreSQL database with a one-second schedule: the
// leader queues each run, once per slot, and when the leader stops the
// other worker takes over the schedule without queueing a slot twice.
func TestScaleOutLeaderQueuesEachScheduledRunOnce(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.Postgres, Mode: app.WebOnly})
	ctx := context.Background()
	loggedInCharacters(t, site)
	// The configuration allows no schedule under a minute: the test sets
	// the interval on a copy of the loaded configuration instead.
	const every = time.Second
	cfg := *site.Config
	cfg.JobSchedules = map[string]time.Duration{syncKind: every}
	// The first slot is now; the next are one interval apart. The row is
	// written before any worker starts, so the slots are known.
	first := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := site.DB.Exec(ctx, `INSERT INTO job_kinds (kind, every_ms, next_run_at, updated_at) VALUES ($1, $2, $3, $3)`,
		syncKind, every.Milliseconds(), first); err != nil {
		t.Fatal(err)
	}
	calls := site.Sim.ESI.Requests()[affiliationRoute]
	queued := func() []int64 {
		var ids []int64
		rows, err := site.DB.Query(ctx, `SELECT id FROM river_job WHERE kind = $1 ORDER BY id`, syncKind)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	leader := func() string {
		var id string
		if err := site.DB.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&id); err != nil {
			t.Fatalf("leader: %v", err)
		}
		return id
	}

	opts := app.Options{ScheduleTick: 50 * time.Millisecond}
	a := startWorker(t, site, &cfg, opts)
	// The first slot queued: a is the leader, before b even starts.
	waitUntil(t, "the first scheduled run", func() bool { return len(queued()) >= 1 })
	firstLeader := leader()
	b := startWorker(t, site, &cfg, opts)
	completed := func() int {
		var n int
		if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, syncKind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitUntil(t, "three scheduled runs", func() bool { return completed() >= 3 })
	a.Stop() // resigns the leadership
	n := completed()
	waitUntil(t, "three runs more after the leader stopped", func() bool { return completed() >= n+3 })
	if l := leader(); l == firstLeader {
		t.Errorf("leader still %s after it stopped", l)
	}
	b.Stop()

	var next time.Time
	if err := site.DB.QueryRow(ctx, `SELECT next_run_at FROM job_kinds WHERE kind = $1`, syncKind).Scan(&next); err != nil {
		t.Fatal(err)
	}
	ids := queued()
	// Each run queued moved the next slot on by an interval at least (more
	// after a late tick, or a slot whose run was still going): more runs
	// than slots passed would be a slot queued twice.
	if slots := int(next.Sub(first) / every); len(ids) > slots {
		t.Errorf("%d runs queued for %d slots (first %s, next %s)", len(ids), slots, first, next)
	}
	inserter := insertOnly(t, site.DB)
	ran := 0
	for i, id := range ids {
		row := job(t, inserter, id)
		if i == len(ids)-1 && row.State == rivertype.JobStateAvailable && row.Attempt == 0 {
			continue // queued as the last worker stopped: never run
		}
		ranOnce(t, row)
		ran++
	}
	if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != ran {
		t.Errorf("ESI saw %d affiliation lookups for %d runs", got, ran)
	}
	if ra, rb := a.runs(t, syncKind, jobs.OutcomeCompleted), b.runs(t, syncKind, jobs.OutcomeCompleted); ra+rb != ran {
		t.Errorf("the workers counted %d and %d runs of %d", ra, rb, ran)
	}
}

// insertOnly gives a queue that only inserts and reads jobs, as a web
// process has.
func insertOnly(t *testing.T, db *store.DB) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(context.Background(), db, jobs.NewRegistry(), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// A 420 met by the web process (a login's affiliation lookup during an
// error storm) holds the worker process's calls back too: the gate's row
// in esi_limits is shared, so the worker's run sends nothing to ESI while
// the block lasts and snoozes instead, though ESI answers again.
func TestScaleOutESIBlockHoldsEveryProcess(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.Postgres, Mode: app.WebOnly,
		// Shorter than the block (ESI's error window, up to a minute): a
		// run gives up waiting at once and snoozes.
		Env: map[string]string{"KEEPSTAR_JOB_TIMEOUT": "20s"}})
	ctx := context.Background()
	w := startWorker(t, site, nil, app.Options{})

	if err := site.Sim.ESI.StartErrorStorm(affiliationRoute, time.Hour); err != nil {
		t.Fatal(err)
	}
	calls := site.Sim.ESI.Requests()[affiliationRoute]
	loggedInCharacters(t, site) // the login looks the characters up, and meets the storm
	if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != 1 {
		t.Fatalf("the logins made %d affiliation lookups, want the one that met the 420", got)
	}
	var blocked time.Time
	if err := site.DB.QueryRow(ctx, `SELECT blocked_until FROM esi_limits WHERE key = 'errors'`).Scan(&blocked); err != nil {
		t.Fatalf("the 420 is not in esi_limits: %v", err)
	}
	if !blocked.After(time.Now()) {
		t.Fatalf("esi_limits blocks until %s, already past", blocked)
	}
	// ESI answers again, but the block the 420 set stands until it ends.
	site.Sim.ESI.ClearFaults()
	calls = site.Sim.ESI.Requests()[affiliationRoute]

	id, _, err := w.Queue.RunNow(ctx, syncKind)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker's run to snooze", func() bool {
		return w.runs(t, syncKind, jobs.OutcomeSnoozed) == 1 && job(t, w.Queue, id).State != rivertype.JobStateRunning
	})
	if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != 0 {
		t.Errorf("the worker sent %d affiliation lookups during the block", got)
	}
	row := job(t, w.Queue, id)
	if row.State != rivertype.JobStateScheduled || !row.ScheduledAt.After(time.Now()) {
		t.Errorf("the held run is %s for %s, want scheduled after the block", row.State, row.ScheduledAt)
	}
	if n := w.runs(t, syncKind, jobs.OutcomeFailed); n != 0 {
		t.Errorf("%d runs failed: waiting on the block is no failure", n)
	}
}

// serveChildEnv makes the test binary a `keepstar serve` process (see
// TestMain) for the crash tests, which kill it.
const serveChildEnv = "KEEPSTAR_TEST_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) != "" {
		os.Exit(serveChild())
	}
	os.Exit(m.Run())
}

// serveChild runs what `keepstar serve` runs, configured by the
// environment, until a signal stops it or it is killed.
func serveChild() int {
	cfg, err := config.Load(config.FromEnvironment(""), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, logger, app.Options{Mode: app.All}); err != nil {
		logger.Error("keepstar stopped on an error", "error", err)
		return 1
	}
	return 0
}

// child is a serve process started from the test binary.
type child struct {
	cmd *exec.Cmd
	out bytes.Buffer // its log, read once it has ended
}

// startChild starts a serve process on site's database and simulator.
func startChild(t *testing.T, site *sitetest.Site) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	for k, v := range site.Env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Env = append(c.cmd.Env, "KEEPSTAR_LISTEN=127.0.0.1:0")
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { c.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				c.cmd.Process.Kill()
				<-done
			}
		}
		if t.Failed() {
			t.Logf("serve process %d:\n%s", c.cmd.Process.Pid, c.out.String())
		}
	})
	return c
}

// kill ends the process at once, as a crash or an OOM kill would: it
// finishes nothing.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

// A serve process killed while it runs a job leaves the job marked
// running; a serve process started after it rescues the job once
// KEEPSTAR_JOB_RESCUE_AFTER has passed, and runs it to the end: the
// character's move is applied, and the group it brings is given once.
func TestScaleOutKilledWorkersJobRunsAfterRestart(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{
				"KEEPSTAR_JOB_TIMEOUT": "4s", "KEEPSTAR_JOB_RESCUE_AFTER": "5s"}})
			ctx := context.Background()
			chars := loggedInCharacters(t, site)
			// A group mapped to another corporation, which the alt joins in
			// game: the job's effect is the move, and the group.
			u := site.Sim.Universe
			alt, err := u.Character(chars[1])
			if err != nil {
				t.Fatal(err)
			}
			var target int32
			for _, c := range u.CorporationIDs() {
				if c != alt.CorporationID && c > 2000000 {
					target = c
					break
				}
			}
			now := time.Now()
			if _, err := site.DB.Exec(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted,
				is_default, created_at, updated_at) VALUES ('Target corp', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $1, $1)`,
				now); err != nil {
				t.Fatal(err)
			}
			var group int64
			if err := site.DB.QueryRow(ctx, `SELECT id FROM groups WHERE name = 'Target corp'`).Scan(&group); err != nil {
				t.Fatal(err)
			}
			if _, err := site.DB.Exec(ctx, `INSERT INTO group_mappings (group_id, kind, entity_id) VALUES ($1, 'corporation', $2)`,
				group, target); err != nil {
				t.Fatal(err)
			}
			if err := u.MoveCharacter(chars[1], target); err != nil {
				t.Fatal(err)
			}

			// The site's own process stops: from here the children run
			// Keepstar. The first one takes the job and hangs in the lookup.
			site.Stop()
			inserter := insertOnly(t, site.DB)
			if err := site.Sim.ESI.SetLatency(affiliationRoute, time.Hour); err != nil {
				t.Fatal(err)
			}
			calls := site.Sim.ESI.Requests()[affiliationRoute]
			res, err := inserter.Insert(ctx, affiliations.SyncArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			first := startChild(t, site)
			waitUntil(t, "the first process to call ESI in the job", func() bool {
				return site.Sim.ESI.Requests()[affiliationRoute] > calls
			})
			first.kill(t)
			row := job(t, inserter, res.Job.ID)
			if row.State != rivertype.JobStateRunning || row.Attempt != 1 {
				t.Fatalf("after the kill the job is %s at attempt %d, want running at 1", row.State, row.Attempt)
			}

			// ESI is quick again; a new process rescues the job and runs it.
			site.Sim.ESI.ClearFaults()
			startChild(t, site)
			waitUntil(t, "the rescued job to end", func() bool { return job(t, inserter, res.Job.ID).FinalizedAt != nil })
			row = job(t, inserter, res.Job.ID)
			if row.State != rivertype.JobStateCompleted || row.Attempt != 2 {
				t.Fatalf("the rescued job is %s at attempt %d, want completed at 2: %+v", row.State, row.Attempt, row.Errors)
			}
			if len(row.AttemptedBy) != 2 || row.AttemptedBy[0] == row.AttemptedBy[1] {
				t.Errorf("worked by %v, want the killed process and the new one", row.AttemptedBy)
			}
			if got := site.Sim.ESI.Requests()[affiliationRoute] - calls; got != 2 {
				t.Errorf("ESI saw %d affiliation lookups, want the killed one and the rescued one", got)
			}

			var corp int32
			if err := site.DB.QueryRow(ctx, `SELECT corporation_id FROM characters WHERE id = $1`, chars[1]).Scan(&corp); err != nil {
				t.Fatal(err)
			}
			if corp != target {
				t.Errorf("the alt is in corporation %d, want %d", corp, target)
			}
			for _, count := range []struct{ what, query string }{
				{"memberships", `SELECT count(*) FROM group_members WHERE group_id = $1`},
				{"access events", `SELECT count(*) FROM access_events WHERE group_id = $1`},
			} {
				var n int
				if err := site.DB.QueryRow(ctx, count.query, group).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Errorf("%d %s of the group, want 1", n, count.what)
				}
			}
		})
	}
}
