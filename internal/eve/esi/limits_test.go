package esi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// During a 420 storm a batch of calls waits (through the sleeper, moving
// the simulated clock) and every call succeeds once the storm is over.
func TestErrorStormWaitedOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		if err := e.sim.ESI.StartErrorStorm("GET /characters/{character_id}", 150*time.Second); err != nil {
			t.Fatal(err)
		}
		stormEnd := e.clock.Now().Add(150 * time.Second)
		ids := e.sim.Universe.CharacterIDs()[:20]
		var wg sync.WaitGroup
		errs := make([]error, len(ids))
		for i, id := range ids {
			wg.Go(func() { _, errs[i] = c.Character(ctx, id) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("calls failed: %v", err)
		}
		if e.status(420) == 0 {
			t.Fatal("the storm answered no 420")
		}
		waits := e.sleep.recorded()
		if len(waits) == 0 {
			t.Fatal("the client never waited")
		}
		if e.clock.Now().Before(stormEnd) {
			t.Errorf("clock at %v, before the storm's end %v: calls succeeded during the storm?", e.clock.Now(), stormEnd)
		}
		t.Logf("%d answers 420, waits %v, clock moved %v", e.status(420), waits, e.clock.Now().Sub(testStart))
	})
}

// A 429 is waited out for its Retry-After; a Retry-After beyond the
// maximum wait gives a *LimitedError instead.
func TestThrottleRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, func(_ *Config, g *GateOptions) { g.MaxWait = time.Minute })
		ctx := context.Background()
		ids := e.sim.Universe.CharacterIDs()
		if err := e.sim.ESI.ThrottleNext("GET /characters/{character_id}", 1, 7*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Character(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if w := e.sleep.recorded(); len(w) != 1 || w[0] != 7*time.Second {
			t.Errorf("waits %v, want [7s]", w)
		}
		if e.status(http.StatusTooManyRequests) != 1 || e.count("GET /characters/"+strconv.Itoa(int(ids[0]))) != 2 {
			t.Errorf("want one 429 then the answer")
		}

		if err := e.sim.ESI.ThrottleNext("GET /characters/{character_id}", 1, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		_, err := c.Character(ctx, ids[1])
		var le *LimitedError
		if !errors.As(err, &le) || le.RetryAfter != 5*time.Minute {
			t.Fatalf("long Retry-After: %v, want a LimitedError of 5m", err)
		}
		// Other routes are not held back by one route's 429.
		if _, err := c.Corporation(ctx, e.mustCharacter(t, ids[1]).CorporationID); err != nil {
			t.Errorf("another route: %v", err)
		}
	})
}

// The gate lives in the database: when one client spends the error budget
// down to the reserve, another client over the same database waits for
// the reset before its first call.
func TestGateSharedAcrossClients(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		a := e.client(t, nil)
		otherSleep := &sleeper{clock: e.clock}
		b := e.client(t, func(c *Config, g *GateOptions) { c.Sleep, g.Sleep = otherSleep.Sleep, otherSleep.Sleep })
		ctx := context.Background()
		spend := func(from int32) {
			for i := range int32(90) {
				if _, err := a.Character(ctx, from+i); !errors.Is(err, ErrNotFound) {
					t.Fatalf("call %d: %v, want ErrNotFound", i, err)
				}
			}
		}
		spend(2_100_000_000)
		if w := e.sleep.recorded(); len(w) != 0 {
			t.Fatalf("a waited %v before the reserve", w)
		}
		e.clock.Advance(10 * time.Second)
		if _, err := b.Character(ctx, e.sim.Universe.CharacterIDs()[0]); err != nil {
			t.Fatal(err)
		}
		w := otherSleep.recorded()
		if len(w) != 1 || w[0] < 45*time.Second || w[0] > 60*time.Second {
			t.Fatalf("b waited %v, want one wait for the rest of the 60 s window", w)
		}

		// A gate that may not wait that long refuses with the time to wait.
		impatient := e.client(t, func(_ *Config, g *GateOptions) { g.MaxWait = time.Second })
		spend(2_100_000_100)
		_, err := impatient.Character(ctx, e.sim.Universe.CharacterIDs()[1])
		var le *LimitedError
		if !errors.As(err, &le) || le.RetryAfter <= time.Second {
			t.Fatalf("impatient: %v, want a LimitedError", err)
		}
	})
}

// Near a bucket's reserve calls are paced, one per refill interval, rather
// than run into a 429; a 429 on the bucket blocks the bucket for
// Retry-After.
func TestBucketPacing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var calls atomic.Int32
		var throttle atomic.Bool
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			h := w.Header()
			h.Set("X-Ratelimit-Group", "char-location")
			h.Set("X-Ratelimit-Limit", "300/15m")
			h.Set("X-Ratelimit-Remaining", "20")
			if throttle.Swap(false) {
				h.Set("Retry-After", "40")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error":"Too many requests, slow down"}`))
				return
			}
			w.Write([]byte(`{"solar_system_id":30000142}`))
		}))
		t.Cleanup(ts.Close)
		e := &env{db: db}
		e.clock = newTestClock()
		e.sleep = &sleeper{clock: e.clock}
		e.url = ts.URL
		e.toks = &ssoTokens{m: map[int32]string{90000001: "token"}}
		c := e.client(t, nil)
		ctx := context.Background()
		get := func() error {
			_, err := c.Get(ctx, Request{Route: "GET /characters/{character_id}/location", Path: "/characters/90000001/location", CharacterID: 90000001})
			return err
		}
		for range 3 {
			if err := get(); err != nil {
				t.Fatal(err)
			}
		}
		// The first answer teaches the bucket (20 of 300 left, reserve 30):
		// the second call takes the free slot, the third waits 15m*2/300.
		if w := e.sleep.recorded(); len(w) != 1 || w[0] != 6*time.Second {
			t.Fatalf("waits %v, want [6s]", w)
		}
		throttle.Store(true)
		if err := get(); err != nil {
			t.Fatal(err)
		}
		w := e.sleep.recorded()
		if len(w) != 3 || w[2] != 40*time.Second || calls.Load() != 5 {
			t.Fatalf("waits %v after %d calls, want the 429's 40s last", w, calls.Load())
		}
	})
}

func (e *env) mustCharacter(t *testing.T, id int32) struct{ CorporationID int32 } {
	t.Helper()
	ch, err := e.sim.Universe.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	return struct{ CorporationID int32 }{ch.CorporationID}
}
