package sessions

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The job deletes the sessions past their lifetime and those idle past the
// idle timeout.
func TestCleanupWorkerDeletesEnded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
		st := NewStore(db)
		m := NewManager(st, Options{Lifetime: 24 * time.Hour, IdleTimeout: time.Hour, Now: func() time.Time { return now }})
		for token, seen := range map[string][2]time.Time{ // last seen, expiry
			"expired": {now.Add(-time.Minute), now.Add(-time.Second)},
			"idle":    {now.Add(-time.Hour), now.Add(time.Hour)},
			"live":    {now.Add(-59 * time.Minute), now.Add(time.Hour)},
		} {
			if err := st.Insert(ctx, token, Row{Data: []byte("{}"), Created: seen[0], LastSeen: seen[0], Expiry: seen[1]}); err != nil {
				t.Fatal(err)
			}
		}

		w := &cleanupWorker{sessions: m}
		job := &river.Job[cleanupArgs]{JobRow: &rivertype.JobRow{ID: 1, Kind: cleanupArgs{}.Kind()}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}

		rows, err := db.Query(ctx, "SELECT token_hash FROM sessions")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var left []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			left = append(left, h)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != tokenHash("live") {
			t.Fatalf("rows left %v, want only the live session's", left)
		}
	})
}

// Register's worker and schedule are accepted by the queue: River checks
// them when the client is built.
func TestRegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		reg := jobs.NewRegistry()
		Register(reg, NewManager(NewStore(db), Options{Lifetime: time.Hour, IdleTimeout: time.Hour}))
		if _, err := jobs.New(context.Background(), db, reg, jobs.Options{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	})
}
