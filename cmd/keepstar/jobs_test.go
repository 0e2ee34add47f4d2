package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func TestJobsUsageAndBadArguments(t *testing.T) {
	for _, cmd := range [][]string{{"jobs", "-h"}, {"jobs", "list", "-h"}, {"jobs", "run", "-h"}} {
		code, _, errOut := run(t, nil, cmd...)
		if code != exitOK || !strings.Contains(errOut, "Usage: keepstar jobs list") || !strings.Contains(errOut, "keepstar jobs run [-config FILE] [-wait] NAME") {
			t.Errorf("%v: %d %s", cmd, code, errOut)
		}
	}
	if code, _, errOut := run(t, nil, "update", "-h"); code != exitOK || !strings.Contains(errOut, "Usage: keepstar update") || !strings.Contains(errOut, "cron") {
		t.Errorf("update -h: %d %s", code, errOut)
	}
	for _, cmd := range []string{"jobs", "update"} {
		if code, out, _ := run(t, nil, "help", cmd); code != exitOK || !strings.Contains(out, "Usage: keepstar "+cmd) {
			t.Errorf("help %s: %d %s", cmd, code, out)
		}
	}
	if code, out, _ := run(t, nil, "help"); code != exitOK || !strings.Contains(out, "  jobs ") || !strings.Contains(out, "  update ") {
		t.Errorf("help lists no jobs or update: %s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs"}, "want `list` or `run NAME`"},
		{[]string{"jobs", "frobnicate"}, "want `list` or `run NAME`"},
		{[]string{"jobs", "run"}, "want one job name"},
		{[]string{"jobs", "run", "a", "b"}, "want one job name"},
		{[]string{"jobs", "run", "-wait"}, "want one job name"},
		{[]string{"jobs", "run", "a", "-bogus"}, "-bogus"},
		{[]string{"jobs", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"jobs", "list", "-bogus"}, "-bogus"},
		{[]string{"update", "extra"}, `unexpected argument "extra"`},
		{[]string{"jobs", "run", "sessions_cleanup"}, "KEEPSTAR_SECRET_KEY: is required"},
		{[]string{"update"}, "KEEPSTAR_SECRET_KEY: is required"},
	} {
		if code, _, errOut := run(t, nil, tc.args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in\n%s", tc.args, code, exitUsage, tc.want, errOut)
		}
	}
}

// The job commands on a database no server has run on: list, queue a job,
// run one to its end in the command itself, and read how it went.
func TestJobsListAndRun(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dbc := storetest.Database(t, d)
			url := dbc.URL
			if d == config.SQLite {
				url = "sqlite:" + dbc.Path
			}
			env := map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": url, "KEEPSTAR_LOG_LEVEL": "warn",
				"KEEPSTAR_SHUTDOWN_TIMEOUT": "5s"}
			if code, _, errOut := run(t, env, "jobs", "list"); code != exitFailure || !strings.Contains(errOut, "keepstar migrate") {
				t.Fatalf("list before migrating: %d %s", code, errOut)
			}
			if code, out, errOut := run(t, env, "migrate"); code != exitOK {
				t.Fatalf("migrate: %d %s%s", code, out, errOut)
			}

			code, out, errOut := run(t, env, "jobs", "list")
			if code != exitOK {
				t.Fatalf("list: %d %s", code, errOut)
			}
			for _, kind := range []string{"access_recompute", "affiliations_sync", "esi_cache_cleanup", "notifications_cleanup", "sessions_cleanup"} {
				if !strings.Contains(out, "\n"+kind+" ") {
					t.Errorf("list lacks %s:\n%s", kind, out)
				}
			}
			if line := lineOf(out, "sessions_cleanup"); !strings.Contains(line, " 1h ") || !strings.Contains(line, "never") || !strings.Contains(line, "once a server starts") {
				t.Errorf("a job that never ran: %q", line)
			}

			code, _, errOut = run(t, env, "jobs", "run", "session_cleanup")
			if code != exitUsage || !strings.Contains(errOut, `no scheduled job is called "session_cleanup"`) || !strings.Contains(errOut, "  sessions_cleanup ") {
				t.Errorf("unknown job: %d %s", code, errOut)
			}

			// An expired session for the cleanup to delete.
			db, err := store.Open(ctx, dbc, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ended := time.Now().Add(-2 * time.Hour)
			if err := sessions.NewStore(db).Insert(ctx, "expired", sessions.Row{Data: []byte("{}"), Created: ended,
				LastSeen: ended, Expiry: ended.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			sessionsLeft := func() int {
				t.Helper()
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			// Queued with no worker anywhere: it waits.
			code, out, errOut = run(t, env, "jobs", "run", "sessions_cleanup")
			var id int64
			if _, err := fmt.Sscanf(out, "sessions_cleanup queued as job %d", &id); code != exitOK || err != nil {
				t.Fatalf("run: %d %q %s (%v)", code, out, errOut, err)
			}
			if sessionsLeft() != 1 {
				t.Fatal("the job ran with no worker")
			}
			// -wait after the name: the command works the job itself.
			code, out, errOut = run(t, env, "jobs", "run", "sessions_cleanup", "-wait")
			if code != exitOK || !strings.Contains(out, fmt.Sprintf("is already waiting or running as job %d", id)) ||
				!strings.Contains(out, "sessions_cleanup: completed in ") || !strings.HasSuffix(out, fmt.Sprintf(" (job %d)\n", id)) {
				t.Fatalf("run -wait: %d\n%s%s", code, out, errOut)
			}
			if sessionsLeft() != 0 {
				t.Error("the expired session is still there")
			}

			// A failed run shows its error below its row; a running one
			// its progress.
			now := time.Now()
			if _, err := db.Exec(ctx, `UPDATE job_kinds SET last_started_at = $1, last_finished_at = $2, last_outcome = 'failed',
				last_error = $3, last_duration_ms = 1500, last_job_id = 7 WHERE kind = 'affiliations_sync'`,
				now.Add(-2*time.Second), now, "esi: 502 Bad Gateway\n  after 3 tries"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `UPDATE job_kinds SET last_started_at = $1, last_job_id = 99 WHERE kind = 'esi_cache_cleanup'`, now); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO job_progress (job_id, kind, done, total, updated_at) VALUES (99, 'esi_cache_cleanup', 40, 160, $1)`, now); err != nil {
				t.Fatal(err)
			}
			env["KEEPSTAR_JOB_SCHEDULES"] = "esi_cache_cleanup=off,sessions_cleanup=30m"
			code, out, errOut = run(t, env, "jobs", "list")
			if code != exitOK {
				t.Fatalf("list: %d %s", code, errOut)
			}
			lines := strings.Split(out, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "affiliations_sync ") {
					if !strings.Contains(l, "failed in 1.5s") || lines[i+1] != "    last error: esi: 502 Bad Gateway after 3 tries" {
						t.Errorf("failed run:\n%s\n%s", l, lines[i+1])
					}
				}
			}
			if line := lineOf(out, "sessions_cleanup"); !strings.Contains(line, "30m (default 1h)") || !strings.Contains(line, " completed in ") {
				t.Errorf("sessions_cleanup after its run: %q", line)
			}
			if line := lineOf(out, "esi_cache_cleanup"); !strings.Contains(line, "off (default 24h)") || !strings.Contains(line, "40/160 (25%)") {
				t.Errorf("esi_cache_cleanup running, turned off: %q", line)
			}

			code, out, errOut = run(t, env, "jobs", "list", "-json")
			var rows []jobRow
			if err := json.Unmarshal([]byte(out), &rows); code != exitOK || err != nil {
				t.Fatalf("list -json: %d %v\n%s%s", code, err, out, errOut)
			}
			byName := map[string]jobRow{}
			for _, r := range rows {
				byName[r.Name] = r
			}
			if r := byName["sessions_cleanup"]; r.LastRun == nil || r.LastRun.Outcome != jobs.OutcomeCompleted || r.LastRun.JobID != id ||
				r.EverySecs != 1800 || r.DefaultSecs != 3600 || r.Summary == "" {
				t.Errorf("sessions_cleanup in JSON: %+v %+v", r, r.LastRun)
			}
			if r := byName["esi_cache_cleanup"]; r.Running == nil || r.Running.Done != 40 || r.Running.Total != 160 || r.EverySecs != 0 || r.NextRun != nil {
				t.Errorf("esi_cache_cleanup in JSON: %+v %+v", r, r.Running)
			}
			if r := byName["affiliations_sync"]; r.LastRun == nil || r.LastRun.Outcome != jobs.OutcomeFailed || !strings.Contains(r.LastRun.Error, "502") {
				t.Errorf("affiliations_sync in JSON: %+v", r.LastRun)
			}
		})
	}
}

// lineOf gives the line of out starting with name and a space.
func lineOf(out, name string) string {
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// How a job ended, as the run and update commands print it.
func TestResult(t *testing.T) {
	started := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ended := started.Add(1500 * time.Millisecond)
	for _, tc := range []struct {
		job  rivertype.JobRow
		want string
	}{
		{rivertype.JobRow{ID: 4, State: rivertype.JobStateCompleted, AttemptedAt: &started, FinalizedAt: &ended},
			"tokens_check: completed in 1.5s (job 4)"},
		{rivertype.JobRow{ID: 5, State: rivertype.JobStateDiscarded, Attempt: 5, FinalizedAt: &ended,
			Errors: []rivertype.AttemptError{{Error: "first"}, {Error: "esi: 503\nService Unavailable"}}},
			"tokens_check: failed, given up after 5 attempts (job 5): esi: 503 Service Unavailable"},
		{rivertype.JobRow{ID: 6, State: rivertype.JobStateCancelled, FinalizedAt: &ended}, "tokens_check: cancelled (job 6): cancelled by hand"},
	} {
		if got := result("tokens_check", &tc.job); got != tc.want {
			t.Errorf("result = %q, want %q", got, tc.want)
		}
	}
}

// On a terminal the progress is a bar, and log lines written meanwhile
// come out above it, whole.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	out := &progressOutput{w: &buf, terminal: true} // drawn at every update
	w := out.watch("tokens_check", 3)
	now := time.Now()
	w.update(jobs.RunProgress{}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateAvailable, ScheduledAt: now})
	fmt.Fprintf(out.log(), "level=WARN msg=\"a log line\"\n")
	w.update(jobs.RunProgress{JobID: 3, Done: 50, Total: 200}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRunning})
	w.update(jobs.RunProgress{JobID: 3, Done: 100, Total: 200}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRunning})
	w.end()
	fmt.Fprintf(out.log(), "after\n")
	s := buf.String()
	for _, want := range []string{"tokens_check: waiting for a worker", "level=WARN msg=\"a log line\"\n", "50%", "(100/200", "\r\033[2Kafter\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("the output lacks %q:\n%q", want, s)
		}
	}
}

// Off a terminal the progress is plain lines: each change of stage, and
// the steps done.
func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	out := &progressOutput{w: &buf}
	w := out.watch("tokens_check", 3)
	next := time.Date(2026, 11, 1, 12, 0, 16, 0, time.UTC)
	w.update(jobs.RunProgress{}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateAvailable})
	w.update(jobs.RunProgress{}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRunning})
	w.update(jobs.RunProgress{JobID: 3, Done: 10, Total: 40}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRunning})
	w.update(jobs.RunProgress{}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRetryable, Attempt: 1, MaxAttempts: 5,
		ScheduledAt: next, Errors: []rivertype.AttemptError{{Error: "esi: 502"}}})
	w.update(jobs.RunProgress{JobID: 3, Done: 40, Total: 40}, &rivertype.JobRow{ID: 3, State: rivertype.JobStateRunning})
	w.end()
	want := `tokens_check (job 3): waiting for a worker
tokens_check (job 3): running
tokens_check (job 3): 10/40 (25%)
tokens_check (job 3): attempt 1 of 5 failed: esi: 502; next try at 12:00:16 UTC
tokens_check (job 3): running
tokens_check (job 3): 40/40 (100%)
`
	if buf.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// docs/jobs.md has a row for every scheduled job, with its default
// interval.
func TestJobsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "jobs.md"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_LOG_LEVEL": "warn",
		"KEEPSTAR_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "k.db")}
	if code, out, errOut := run(t, env, "migrate"); code != exitOK {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	code, out, errOut := run(t, env, "jobs", "list", "-json")
	var rows []jobRow
	if err := json.Unmarshal([]byte(out), &rows); code != exitOK || err != nil {
		t.Fatalf("list -json: %d %v\n%s%s", code, err, out, errOut)
	}
	for _, r := range rows {
		if !r.Scheduled {
			continue
		}
		if want := fmt.Sprintf("| `%s` | %s | ", r.Name, interval(r.DefaultSecs)); !strings.Contains(string(doc), want) {
			t.Errorf("docs/jobs.md lacks the row %q", want)
		}
	}
}
