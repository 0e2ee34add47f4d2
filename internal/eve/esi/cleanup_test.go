package esi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The cleanup job deletes the answers expired for longer than
// CacheKeepExpired and keeps the recently expired ones, which still
// revalidate with a 304.
func TestCacheCleanupKeepsRecentlyExpired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		ids := e.sim.Universe.CharacterIDs()
		old, recent := ids[3], ids[4]
		get := func(id int32) *Response {
			t.Helper()
			res, err := c.Get(ctx, Request{Route: "GET /characters/{character_id}", Path: "/characters/" + strconv.Itoa(int(id))})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// Characters are cached for a day. The old answer expires at
		// +24h, the recent one at +60h; the cleanup runs at +62h.
		get(old)
		e.clock.Advance(36 * time.Hour)
		get(recent)
		e.clock.Advance(26 * time.Hour)
		rows := func() int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM esi_cache`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := rows(); n != 2 {
			t.Fatalf("%d cached answers before the cleanup, want 2", n)
		}

		w := &cacheCleanupWorker{cache: NewCache(db, 0), now: e.clock.Now, logger: slog.New(slog.DiscardHandler)}
		if err := w.Work(ctx, &river.Job[CacheCleanupArgs]{JobRow: &rivertype.JobRow{ID: 1, Kind: CacheCleanupArgs{}.Kind()}}); err != nil {
			t.Fatal(err)
		}
		if n := rows(); n != 1 {
			t.Fatalf("%d cached answers after the cleanup, want the recent one", n)
		}
		// The recent one is still revalidated; the old one is fetched anew.
		if res := get(recent); !res.Revalidated || e.status(http.StatusNotModified) != 1 {
			t.Errorf("the recently expired answer: Revalidated %v, %d 304s; want a revalidation", res.Revalidated, e.status(http.StatusNotModified))
		}
		if res := get(old); res.Revalidated || res.FromCache {
			t.Errorf("the old answer: Revalidated %v FromCache %v; want a fresh fetch", res.Revalidated, res.FromCache)
		}
	})
}

// The cleanup's worker and schedule are accepted by the queue.
func TestRegisterCacheCleanup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		reg := jobs.NewRegistry()
		RegisterCacheCleanup(reg, NewCache(db, 0), nil, slog.New(slog.DiscardHandler))
		p, ok := reg.Lookup(CacheCleanupArgs{}.Kind())
		if !ok || p.Priority != 4 || p.Every != 24*time.Hour || p.Summary == "" {
			t.Fatalf("schedule %+v, %v", p, ok)
		}
		if _, err := jobs.New(context.Background(), db, reg, jobs.Options{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	})
}
