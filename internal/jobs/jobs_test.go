package jobs_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/telemetry"
)

// signalArgs is a test job that reports on a channel that it ran.
type signalArgs struct {
	Note string `json:"note"`
}

func (signalArgs) Kind() string { return "test_signal" }

type signalWorker struct {
	river.WorkerDefaults[signalArgs]
	ran chan string
}

func (w *signalWorker) Work(ctx context.Context, job *river.Job[signalArgs]) error {
	w.ran <- job.Args.Note
	return nil
}

func migrated(t *testing.T, d config.Dialect) *store.DB {
	t.Helper()
	db := storetest.Open(t, d)
	if _, err := jobs.Migrate(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func startQueue(t *testing.T, db *store.DB, reg *jobs.Registry, workers int) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(context.Background(), db, reg, jobs.Options{
		Workers: workers, JobTimeout: time.Minute, RescueAfter: 2 * time.Minute, PollInterval: 100 * time.Millisecond,
		ScheduleTick: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if workers > 0 {
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(ctx)
		})
	}
	return q
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// A job inserted in a transaction exists only if the transaction commits.
func TestInsertTxFollowsTheTransaction(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := migrated(t, d)
			ran := make(chan string, 4)
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: ran})
			q := startQueue(t, db, reg, 2)
			ctx := context.Background()

			rolledBack := errors.New("roll back")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := q.InsertTx(ctx, tx, signalArgs{Note: "rolled back"}, nil); err != nil {
					return err
				}
				return rolledBack
			})
			if !errors.Is(err, rolledBack) {
				t.Fatal(err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO settings (name, value, updated_at) VALUES ('k', 'v', $1)", time.Now()); err != nil {
					return err
				}
				_, err := q.InsertTx(ctx, tx, signalArgs{Note: "committed"}, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := wait(t, ran, "the committed job"); got != "committed" {
				t.Fatalf("ran %q", got)
			}
			var total int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&total); err != nil || total != 1 {
				t.Errorf("jobs in the table: %d (err %v), want only the committed one", total, err)
			}
			select {
			case got := <-ran:
				t.Errorf("a second job ran: %q", got)
			default:
			}
		})
	}
}

// A job scheduled for later, brought forward in a transaction, runs at
// once when the transaction commits.
func TestRetryTxBringsAScheduledJobForward(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := migrated(t, d)
			ran := make(chan string, 4)
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: ran})
			q := startQueue(t, db, reg, 2)
			ctx := context.Background()
			var id int64
			err := db.InTx(ctx, func(tx *store.Tx) error {
				res, err := q.InsertTx(ctx, tx, signalArgs{Note: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
				if err == nil {
					id = res.Job.ID
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				_, err := q.RetryTx(ctx, tx, id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := wait(t, ran, "the job brought forward"); got != "later" {
				t.Fatalf("ran %q", got)
			}
		})
	}
}

// A web process's insert-only queue inserts jobs that a worker process runs.
func TestInsertOnlyQueueFeedsWorkers(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := migrated(t, d)
			ran := make(chan string, 1)
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: ran})
			web := startQueue(t, db, reg, 0)
			startQueue(t, db, reg, 1)
			if _, err := web.Insert(context.Background(), signalArgs{Note: "from web"}, nil); err != nil {
				t.Fatal(err)
			}
			if got := wait(t, ran, "the job"); got != "from web" {
				t.Errorf("ran %q", got)
			}
		})
	}
}

func TestSchedulesRun(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := migrated(t, d)
			ran := make(chan string, 10)
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: ran})
			reg.Schedule(jobs.Periodic{Every: 300 * time.Millisecond, Args: func() river.JobArgs { return signalArgs{Note: "tick"} }})
			startQueue(t, db, reg, 1)
			for i := range 2 {
				if got := wait(t, ran, fmt.Sprintf("scheduled run %d", i)); got != "tick" {
					t.Errorf("ran %q", got)
				}
			}
		})
	}
}

func TestCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := jobs.Migrate(context.Background(), db, nil); err != nil {
			t.Fatal(err)
		}
		q := startQueue(t, db, jobs.NewRegistry(), 0)
		for range 3 {
			if _, err := q.Insert(context.Background(), signalArgs{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		counts, err := jobs.Counts(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 1 || counts[0] != (jobs.KindStateCount{Kind: "test_signal", State: "available", Count: 3}) {
			t.Errorf("counts = %+v", counts)
		}
	})
}

func TestPendingMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pending, err := jobs.Pending(ctx, db)
		if err != nil || len(pending) == 0 {
			t.Fatalf("before migrating: pending = %v, err %v", pending, err)
		}
		if _, err := jobs.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		if pending, err := jobs.Pending(ctx, db); err != nil || len(pending) != 0 {
			t.Fatalf("after migrating: pending = %v, err %v", pending, err)
		}
	})
}

// crashArgs is a job the child process starts and never finishes, because
// the test kills the process while it runs.
type crashArgs struct{}

func (crashArgs) Kind() string { return "test_crash" }

type crashWorker struct {
	river.WorkerDefaults[crashArgs]
	// inChild is true in the process that is killed; the restarted queue
	// completes the job.
	inChild bool
	done    chan int
}

func (w *crashWorker) Work(ctx context.Context, job *river.Job[crashArgs]) error {
	if w.inChild {
		fmt.Printf("STARTED %d\n", job.ID)
		<-ctx.Done() // hangs until the process is killed
		return ctx.Err()
	}
	w.done <- job.Attempt
	return nil
}

const crashChildEnv = "KEEPSTAR_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		runCrashChild(spec)
		return
	}
	os.Exit(m.Run())
}

// runCrashChild is the process that dies mid-job: it works the queue of the
// database in spec ("sqlite:PATH" or a postgres URL) until killed.
func runCrashChild(spec string) {
	dbc, err := config.ParseDatabaseURL(spec)
	if err != nil {
		panic(err)
	}
	db, err := store.Open(context.Background(), dbc, 4)
	if err != nil {
		panic(err)
	}
	reg := jobs.NewRegistry()
	jobs.Add(reg, &crashWorker{inChild: true})
	q, err := jobs.New(context.Background(), db, reg, jobs.Options{Workers: 1, JobTimeout: time.Hour, RescueAfter: 2 * time.Hour, PollInterval: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	if err := q.Start(context.Background()); err != nil {
		panic(err)
	}
	select {}
}

// A process killed in the middle of a job leaves it running; after restart
// the job is rescued and runs to completion.
func TestJobInterruptedByCrashRunsAgainAfterRestart(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dbc := storetest.Database(t, d)
			ctx := context.Background()
			db, err := store.Open(ctx, dbc, 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.MigrateSchema(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := jobs.Migrate(ctx, db, nil); err != nil {
				t.Fatal(err)
			}

			spec := dbc.URL
			if d == config.SQLite {
				spec = "sqlite:" + dbc.Path
			}
			child := exec.Command(os.Args[0], "-test.run=^$")
			child.Env = append(os.Environ(), crashChildEnv+"="+spec)
			child.Stderr = os.Stderr
			out, err := child.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { child.Process.Kill(); child.Wait() })

			inserter := startQueue(t, db, jobs.NewRegistry(), 0)
			res, err := inserter.Insert(ctx, crashArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "STARTED ") {
						started <- sc.Text()
					}
				}
			}()
			if got := wait(t, started, "the child to start the job"); got != fmt.Sprintf("STARTED %d", res.Job.ID) {
				t.Fatalf("child said %q", got)
			}
			if err := child.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			child.Wait()

			row, err := inserter.Job(ctx, res.Job.ID)
			if err != nil || row.State != rivertype.JobStateRunning {
				t.Fatalf("after the crash the job is %v (err %v), want running", row.State, err)
			}

			// Restart: a new worker with a short rescue delay finds the job.
			done := make(chan int, 1)
			reg := jobs.NewRegistry()
			jobs.Add(reg, &crashWorker{done: done})
			q, err := jobs.New(ctx, db, reg, jobs.Options{Workers: 1, JobTimeout: time.Second, RescueAfter: 2 * time.Second, PollInterval: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Stop(context.Background()) })
			if attempt := wait(t, done, "the rescued job to run"); attempt != 2 {
				t.Errorf("rescued job ran as attempt %d, want 2", attempt)
			}
		})
	}
}

func TestShutdownCancellationIsNotAnError(t *testing.T) {
	var buf strings.Builder
	logger, err := telemetry.NewLogger(&buf, "text", "info")
	if err != nil {
		t.Fatal(err)
	}
	h := jobs.RiverLogForTest(logger.Handler())
	slog.New(h).Error("maintenance.PeriodicJobEnqueuer: Error starting transaction", "error", context.Canceled.Error())
	slog.New(h).Error("real failure", "error", "disk full")
	if strings.Contains(buf.String(), "Error starting transaction") || !strings.Contains(buf.String(), "disk full") {
		t.Errorf("log:\n%s", buf.String())
	}
}

// River's information is its internals: logged only when debug is asked
// for; its warnings stay warnings.
func TestRiverInformationAtDebug(t *testing.T) {
	for _, level := range []string{"info", "debug"} {
		var buf strings.Builder
		logger, err := telemetry.NewLogger(&buf, "text", level)
		if err != nil {
			t.Fatal(err)
		}
		river := slog.New(jobs.RiverLogForTest(logger.Handler()))
		river.Info("producer: Producer job counts")
		river.Warn("elector: slow")
		out := buf.String()
		if got := strings.Contains(out, "Producer job counts"); got != (level == "debug") {
			t.Errorf("at %s, River's info logged = %v:\n%s", level, got, out)
		}
		if level == "debug" && !strings.Contains(out, `level=DEBUG msg="producer: Producer job counts"`) {
			t.Errorf("River's info not demoted to debug:\n%s", out)
		}
		if !strings.Contains(out, "level=WARN") {
			t.Errorf("at %s, River's warning lost:\n%s", level, out)
		}
	}
}
