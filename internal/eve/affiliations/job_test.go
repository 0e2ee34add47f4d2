package affiliations_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// jobChunk is the chunk of the job in these tests: 300 characters make six
// chunks, one affiliation call each.
const jobChunk = 50

// startJobs works the affiliation job of k in a queue of its own, with
// chunks of jobChunk characters.
func startJobs(t *testing.T, k *keepstar) *jobs.Queue {
	t.Helper()
	ctx := context.Background()
	if _, err := jobs.Migrate(ctx, k.db, nil); err != nil {
		t.Fatal(err)
	}
	reg := jobs.NewRegistry()
	affiliations.RegisterChunked(reg, k.dir, k.acc, time.Hour, jobChunk, nil)
	q, err := jobs.New(ctx, k.db, reg, jobs.Options{Workers: 1, JobTimeout: time.Minute, RescueAfter: time.Hour,
		PollInterval: 100 * time.Millisecond, NoSchedules: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func lastOutcome(t *testing.T, db *store.DB) string {
	t.Helper()
	all, err := jobs.Statuses(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == (affiliations.SyncArgs{}).Kind() {
			return s.LastOutcome
		}
	}
	return ""
}

func job(t *testing.T, q *jobs.Queue, id int64) *rivertype.JobRow {
	t.Helper()
	row, err := q.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// snoozes is how often River has snoozed a job.
func snoozes(t *testing.T, row *rivertype.JobRow) int {
	t.Helper()
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	if err := json.Unmarshal(row.Metadata, &m); err != nil {
		t.Fatal(err)
	}
	return m.Snoozes
}

// moveEveryTenth moves every tenth character into another corporation, so
// that each chunk has moves.
func moveEveryTenth(t *testing.T, s *simEVE, ids []int32) []int32 {
	t.Helper()
	corps := playerCorporations(s.Universe)
	var moved []int32
	for i := 3; i < len(ids); i += 10 {
		c, _ := s.Universe.Character(ids[i])
		to := corps[i%len(corps)]
		if to == c.CorporationID {
			to = corps[(i+1)%len(corps)]
		}
		if err := s.Universe.MoveCharacter(ids[i], to); err != nil {
			t.Fatal(err)
		}
		moved = append(moved, ids[i])
	}
	return moved
}

// checkMoves checks that exactly the moves of the characters up to upTo
// are stored (all of them for upTo 0).
func checkMoves(t *testing.T, s *simEVE, db *store.DB, moved []int32, upTo int32) {
	t.Helper()
	got := storedAffiliations(t, db)
	for _, id := range moved {
		want := universeAffiliation(t, s.Universe, id)
		if applied := got[id] == want; applied != (upTo == 0 || id <= upTo) {
			t.Errorf("character %d: stored %+v, universe %+v; applied %v, want %v", id, got[id], want, applied, !applied)
		}
	}
}

// TestSyncJobWaitsOutAnErrorStorm: ESI starts answering 420 to everything
// when the job is half-way. The job snoozes with the chunks before the
// storm applied and nothing of the others; while the storm lasts it wakes
// and snoozes again without calling ESI (the limit gate holds it back);
// once the storm is over it resumes after the last chunk applied and
// completes with every move applied, each chunk looked up once.
func TestSyncJobWaitsOutAnErrorStorm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 300)
		ids := s.Universe.CharacterIDs()
		k := newKeepstar(t, s, db, 500*time.Millisecond)
		addCharacters(t, db, s.Universe, ids)
		moved := moveEveryTenth(t, s, ids)
		s.beforeAffiliation(func(n int) {
			if n != 3 {
				return
			}
			// The third chunk's call meets the storm. The simulator's error
			// window (60 s of its clock, opened by the first call) is moved
			// to its last second, so ESI's 420s ask for a wait of one
			// second: the snoozes are short in wall time, and the clock
			// standing still, the wait is never over until the test moves
			// it.
			s.control(t, "/control/clock", map[string]string{"advance": "59s"})
			s.control(t, "/control/faults", map[string]string{"route": "*", "storm": "10m"})
		})
		q := startJobs(t, k)
		id, _, err := q.RunNow(ctx, (affiliations.SyncArgs{}).Kind())
		if err != nil {
			t.Fatal(err)
		}

		waitFor(t, "the job to snooze", func() bool { return lastOutcome(t, db) == jobs.OutcomeSnoozed })
		// Two chunks applied, fully; nothing of the others.
		checkMoves(t, s, db, moved, ids[2*jobChunk-1])
		// It wakes and snoozes again while the storm lasts, asking ESI
		// nothing more.
		waitFor(t, "more snoozes", func() bool { return snoozes(t, job(t, q, id)) >= 3 })
		if calls, ok := s.counts("affiliation"); calls != 3 || ok != 2 {
			t.Errorf("during the storm: %d affiliation calls, %d answered; want 3 and 2", calls, ok)
		}
		if row := job(t, q, id); row.State == rivertype.JobStateCompleted || len(row.Errors) != 0 {
			t.Fatalf("during the storm the job is %s with errors %v", row.State, row.Errors)
		}
		checkMoves(t, s, db, moved, ids[2*jobChunk-1])

		// The storm ends.
		s.control(t, "/control/clock", map[string]string{"advance": "11m"})
		waitFor(t, "the job to complete", func() bool { return job(t, q, id).FinalizedAt != nil })
		row := job(t, q, id)
		if row.State != rivertype.JobStateCompleted || len(row.Errors) != 0 {
			t.Fatalf("the job ended %s with errors %v", row.State, row.Errors)
		}
		if got := lastOutcome(t, db); got != jobs.OutcomeCompleted {
			t.Errorf("last outcome %q, want completed", got)
		}
		checkMoves(t, s, db, moved, 0)
		// Six chunks, each answered once: the two applied before the storm
		// were not looked up again.
		if calls, ok := s.counts("affiliation"); calls != 7 || ok != 6 {
			t.Errorf("%d affiliation calls, %d answered; want 7 (one refused by the storm) and 6", calls, ok)
		}
		for path, n := range s.readPaths() {
			if n != 1 {
				t.Errorf("%s read %d times", path, n)
			}
		}
	})
}

// TestSyncJobRetriesServerErrors: ESI answers 503 five times in a row from
// the third chunk. The ESI client tries each call three times, so the
// job's attempt fails; River runs it again, which resumes after the two
// chunks applied and gets through the last two 503s. Every move is applied
// and each chunk is answered once.
func TestSyncJobRetriesServerErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 300)
		ids := s.Universe.CharacterIDs()
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, s.Universe, ids)
		moved := moveEveryTenth(t, s, ids)
		s.beforeAffiliation(func(n int) {
			if n == 3 {
				s.control(t, "/control/faults", map[string]any{"route": "POST /characters/affiliation",
					"fail": map[string]int{"status": 503, "count": 5}})
			}
		})
		q := startJobs(t, k)
		id, _, err := q.RunNow(ctx, (affiliations.SyncArgs{}).Kind())
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the job to complete", func() bool { return job(t, q, id).FinalizedAt != nil })
		row := job(t, q, id)
		if row.State != rivertype.JobStateCompleted || row.Attempt != 2 || len(row.Errors) != 1 ||
			!strings.Contains(row.Errors[0].Error, "503") {
			t.Fatalf("the job ended %s after %d attempts, errors %v; want completed at the second, after one 503", row.State, row.Attempt, row.Errors)
		}
		if got := lastOutcome(t, db); got != jobs.OutcomeCompleted {
			t.Errorf("last outcome %q, want completed", got)
		}
		checkMoves(t, s, db, moved, 0)
		if calls, ok := s.counts("affiliation"); calls != 11 || ok != 6 {
			t.Errorf("%d affiliation calls, %d answered; want 11 (five 503s) and 6", calls, ok)
		}
	})
}
