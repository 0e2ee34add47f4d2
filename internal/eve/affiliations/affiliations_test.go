package affiliations_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// simulated is a simulated EVE over real HTTP that counts the ESI requests
// for corporations and alliances.
type simulated struct {
	sim          *evesim.Sim
	url          string
	corporations atomic.Int64
	alliances    atomic.Int64
}

func newSimulated(t *testing.T) *simulated {
	t.Helper()
	s := &simulated{}
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/corporations/"):
			s.corporations.Add(1)
		case strings.HasPrefix(r.URL.Path, "/alliances/"):
			s.alliances.Add(1)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	sim, err := evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 5, Characters: 200})
	if err != nil {
		t.Fatal(err)
	}
	handler, s.sim, s.url = sim, sim, ts.URL
	return s
}

func TestLookupStoresCorporationsAndAlliancesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimulated(t)
		client, err := esi.New(esi.Config{BaseURL: s.url, UserAgent: "keepstar-test", Cache: esi.NewCache(db, 0), Gate: esi.NewGate(db, esi.GateOptions{})})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		dir := affiliations.New(db, client, func() time.Time { return now }, time.Hour)
		ids := s.sim.Universe.CharacterIDs()[:50]
		affs, err := dir.Lookup(ctx, append(ids, 12345)) // 12345 is no character
		if err != nil {
			t.Fatal(err)
		}
		if len(affs) != 50 {
			t.Fatalf("%d affiliations for 50 characters", len(affs))
		}
		corps, alliances := map[int32]bool{}, map[int32]bool{}
		for _, a := range affs {
			want, _ := s.sim.Universe.Character(a.CharacterID)
			if a.CorporationID != want.CorporationID {
				t.Errorf("character %d: corporation %d, want %d", a.CharacterID, a.CorporationID, want.CorporationID)
			}
			corps[a.CorporationID] = true
			if a.AllianceID != 0 {
				alliances[a.AllianceID] = true
			}
		}
		var n int
		db.QueryRow(ctx, `SELECT count(*) FROM eve_corporations`).Scan(&n)
		if n != len(corps) {
			t.Errorf("%d corporations stored, want %d", n, len(corps))
		}
		db.QueryRow(ctx, `SELECT count(*) FROM eve_alliances`).Scan(&n)
		if n != len(alliances) {
			t.Errorf("%d alliances stored, want %d", n, len(alliances))
		}
		for id := range corps {
			want, _ := s.sim.Universe.Corporation(id)
			var name, ticker string
			db.QueryRow(ctx, `SELECT name, ticker FROM eve_corporations WHERE id = $1`, id).Scan(&name, &ticker)
			if name != want.Name || ticker != want.Ticker {
				t.Errorf("corporation %d stored as %q [%s]", id, name, ticker)
			}
			break
		}
		if got := s.corporations.Load(); got != int64(len(corps)) {
			t.Errorf("%d corporation requests for %d corporations", got, len(corps))
		}

		// Within the maximum age, nothing is asked again.
		s.corporations.Store(0)
		s.alliances.Store(0)
		if _, err := dir.Lookup(ctx, ids); err != nil {
			t.Fatal(err)
		}
		if s.corporations.Load()+s.alliances.Load() != 0 {
			t.Errorf("fresh entries asked again: %d corporations, %d alliances", s.corporations.Load(), s.alliances.Load())
		}
		// Past it, entries are read again (ESI's cache rules beneath).
		now = now.Add(2 * time.Hour)
		if _, err := dir.Lookup(ctx, ids); err != nil {
			t.Fatal(err)
		}
		var stale int
		db.QueryRow(ctx, `SELECT count(*) FROM eve_corporations WHERE updated_at < $1`, now.Add(-time.Minute)).Scan(&stale)
		if stale != 0 {
			t.Errorf("%d corporations not refreshed after their maximum age", stale)
		}
	})
}

func TestRefreshSkipsWhatESIDoesNotKnow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimulated(t)
		client, err := esi.New(esi.Config{BaseURL: s.url, UserAgent: "keepstar-test", Cache: esi.NewCache(db, 0), Gate: esi.NewGate(db, esi.GateOptions{})})
		if err != nil {
			t.Fatal(err)
		}
		dir := affiliations.New(db, client, nil, 0)
		corp := s.sim.Universe.CorporationIDs()[0]
		if err := dir.Refresh(ctx, []int32{corp, 98999999}, []int32{99999999}); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow(ctx, `SELECT count(*) FROM eve_corporations`).Scan(&n)
		if n != 1 {
			t.Errorf("%d corporations stored, want the one ESI knows", n)
		}
	})
}
