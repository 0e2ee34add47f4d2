package services

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// runnerConnector is a connector with long-running work that counts how
// often it was started and whether it runs now.
type runnerConnector struct {
	started, live atomic.Int32
}

func (c *runnerConnector) Apply(_ context.Context, a Account, _ Want) (Account, error) { return a, nil }
func (c *runnerConnector) Remove(context.Context, Account) error                       { return nil }
func (c *runnerConnector) Run(ctx context.Context) error {
	c.started.Add(1)
	c.live.Add(1)
	defer c.live.Add(-1)
	<-ctx.Done()
	return nil
}

// TestRunnersRunInOneProcessAtATime: of two processes on one database,
// the one holding the lease runs an instance's Runner; the other takes
// over when it stops or its lease lapses; a settings change restarts the
// work, disabling stops it.
func TestRunnersRunInOneProcessAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		process := func() (*Services, *runnerConnector) {
			conn := &runnerConnector{}
			s, err := New(Options{DB: db, SecretKey: []byte(strings.Repeat("k", 32)), Now: clock,
				Types: []Type{{Name: "voice", Open: func(context.Context, Instance, Env) (Connector, error) { return conn, nil }}}})
			if err != nil {
				t.Fatal(err)
			}
			return s, conn
		}
		a, connA := process()
		b, connB := process()
		inst, err := a.Create(ctx, Input{Slug: "voice", Type: "voice", Name: "Voice"})
		if err != nil {
			t.Fatal(err)
		}
		loopA := &runLoop{s: a, holder: "a", every: time.Minute, running: map[int64]*running{}}
		loopB := &runLoop{s: b, holder: "b", every: time.Minute, running: map[int64]*running{}}
		defer loopA.stopAll()
		defer loopB.stopAll()
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("waiting for %s", what)
				}
				time.Sleep(time.Millisecond)
			}
		}

		loopA.pass(ctx)
		if len(loopA.running) != 0 {
			t.Fatal("a disabled instance runs")
		}
		if inst, err = a.Update(ctx, inst.ID, Input{Name: "Voice", Enabled: true, MapByName: true}); err != nil {
			t.Fatal(err)
		}
		loopA.pass(ctx)
		loopB.pass(ctx)
		waitFor("a's runner", func() bool { return connA.live.Load() == 1 })
		if len(loopB.running) != 0 || connB.started.Load() != 0 {
			t.Fatal("both processes run the instance")
		}

		// A stops (its process shuts down): B takes over at its next pass.
		loopA.stopAll()
		if connA.live.Load() != 0 {
			t.Fatal("a's runner still runs after it stopped")
		}
		loopB.pass(ctx)
		waitFor("b's runner", func() bool { return connB.live.Load() == 1 })

		// B's process dies without releasing: A waits for the lease to lapse.
		crashed := loopB.running[inst.ID]
		defer crashed.cancel()
		loopB.running = map[int64]*running{} // forgotten, as by a crash
		loopA.pass(ctx)
		if len(loopA.running) != 0 {
			t.Fatal("a took a lease still held")
		}
		now = now.Add(3*time.Minute + time.Second)
		loopA.pass(ctx)
		waitFor("a's runner again", func() bool { return connA.started.Load() == 2 })

		// New settings: the work restarts with them; disabled: it stops.
		if _, err := a.Update(ctx, inst.ID, Input{Name: "Voice 2", Enabled: true, MapByName: true}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
		loopA.pass(ctx)
		waitFor("a restart", func() bool { return connA.started.Load() == 3 && connA.live.Load() == 1 })
		if _, err := a.Update(ctx, inst.ID, Input{Name: "Voice 2", Enabled: false, MapByName: true}); err != nil {
			t.Fatal(err)
		}
		loopA.pass(ctx)
		if connA.live.Load() != 0 || len(loopA.running) != 0 {
			t.Fatal("a disabled instance still runs")
		}
	})
}

// TestARunnerOutlivesAFailedRenewalWhileItsLeaseLasts: a database too busy
// to renew the lease within a pass (another transaction holds the row)
// does not stop the work while the lease lasts; once it has run out, the
// work stops, as another process may have taken over.
func TestARunnerOutlivesAFailedRenewalWhileItsLeaseLasts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		conn := &runnerConnector{}
		s, err := New(Options{DB: db, SecretKey: []byte(strings.Repeat("k", 32)), Now: func() time.Time { return now },
			Types: []Type{{Name: "voice", Open: func(context.Context, Instance, Env) (Connector, error) { return conn, nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := s.Create(ctx, Input{Slug: "voice", Type: "voice", Name: "Voice"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, inst.ID, Input{Name: "Voice", Enabled: true, MapByName: true}); err != nil {
			t.Fatal(err)
		}
		loop := &runLoop{s: s, holder: "a", every: time.Millisecond, running: map[int64]*running{}}
		defer loop.stopAll()
		loop.pass(ctx)
		if len(loop.running) != 1 {
			t.Fatal("the runner did not start")
		}
		// busy holds the instance's row (and, on SQLite, the one writer)
		// for the length of one pass.
		busy := func() {
			t.Helper()
			held, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- db.InTx(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(ctx, `UPDATE service_instances SET name = name WHERE id = $1`, inst.ID); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			<-held
			loop.pass(ctx)
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		busy()
		if len(loop.running) != 1 || conn.live.Load() != 1 || conn.started.Load() != 1 {
			t.Fatalf("a failed renewal within the lease stopped the work: running %d, live %d, started %d",
				len(loop.running), conn.live.Load(), conn.started.Load())
		}
		now = now.Add(minLease)
		busy()
		if len(loop.running) != 0 || conn.live.Load() != 0 {
			t.Fatal("the work went on after its lease ran out unrenewed")
		}
	})
}
