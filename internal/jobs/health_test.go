package jobs_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The health says whether the scheduler ticks, and names the kinds of job
// that are late, failing or hanging.
func TestHealth(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := migrated(t, d)
			h, err := jobs.ReadHealth(ctx, db, time.Now())
			if err != nil || h.Ticking || h.OK() {
				t.Fatalf("before any process ran: %+v, %v", h, err)
			}
			reg := jobs.NewRegistry()
			jobs.Add(reg, &signalWorker{ran: make(chan string, 10)})
			reg.Schedule(jobs.Periodic{Every: time.Hour, Args: func() river.JobArgs { return signalArgs{Note: "hourly"} }})
			startQueue(t, db, reg, 1)
			deadline := time.Now().Add(60 * time.Second)
			for !h.Ticking {
				if time.Now().After(deadline) {
					t.Fatal("the scheduler's tick not seen after 60 s")
				}
				time.Sleep(50 * time.Millisecond)
				if h, err = jobs.ReadHealth(ctx, db, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			if !h.OK() {
				t.Fatalf("a ticking scheduler and one job due in an hour: %+v", h)
			}
			// An hour and more later, nothing ticked since and the job is
			// late.
			later := time.Now().Add(90 * time.Minute)
			if h, err = jobs.ReadHealth(ctx, db, later); err != nil || h.Ticking || !slices.Equal(h.Overdue, []string{"test_signal"}) {
				t.Errorf("90 minutes later: %+v, %v", h, err)
			}
			now := time.Now()
			for _, row := range []struct {
				kind, outcome string
				started       time.Time
				finished      *time.Time
			}{
				{"test_failing", "failed", now.Add(-time.Minute), &now},
				{"test_stuck", "completed", now.Add(-3 * time.Hour), nil},
			} {
				if _, err := db.Exec(ctx, `INSERT INTO job_kinds (kind, every_ms, last_started_at, last_finished_at, last_outcome, updated_at)
					VALUES ($1, 0, $2, $3, $4, $5)`, row.kind, row.started, row.finished, row.outcome, now); err != nil {
					t.Fatal(err)
				}
			}
			h, err = jobs.ReadHealth(ctx, db, now)
			if err != nil || h.OK() || !slices.Equal(h.Failing, []string{"test_failing"}) || !slices.Equal(h.Stuck, []string{"test_stuck"}) {
				t.Errorf("a failing and a hanging kind: %+v, %v", h, err)
			}
		})
	}
}
