package esi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Affiliations goes in chunks of 1000 and shows a biomassed character in
// Doomheim.
func TestAffiliationsChunkedAndBiomassed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 2500)
		c := e.client(t, nil)
		ids := e.sim.Universe.CharacterIDs()
		dead := ids[1234]
		if err := e.sim.Universe.Biomass(dead); err != nil {
			t.Fatal(err)
		}
		// Repeats and invalid ids would make ESI refuse the whole chunk.
		got, unknown, err := c.Affiliations(context.Background(), append(slices.Clone(ids), ids[0], 0, -5))
		if err != nil || len(unknown) != 0 {
			t.Fatal(unknown, err)
		}
		if n := e.count("POST /characters/affiliation"); n != (len(ids)+999)/1000 {
			t.Errorf("%d requests for %d ids, want %d", n, len(ids), (len(ids)+999)/1000)
		}
		if len(got) != len(ids) {
			t.Fatalf("%d affiliations for %d characters", len(got), len(ids))
		}
		for _, a := range got {
			ch, err := e.sim.Universe.Character(a.CharacterID)
			if err != nil || a.CorporationID != ch.CorporationID {
				t.Fatalf("affiliation %+v, universe %+v (%v)", a, ch, err)
			}
			if a.CharacterID == dead && (a.CorporationID != DoomheimID || a.AllianceID != 0) {
				t.Errorf("biomassed character: %+v, want corporation %d and no alliance", a, DoomheimID)
			}
		}
	})
}

// ESI refuses a whole chunk of affiliations for one id that is no
// character: Affiliations isolates such ids, as Names does, and resolves
// every other character of the chunk.
func TestAffiliationsIsolateNonCharacters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 2500)
		c := e.client(t, nil)
		ids := slices.Clone(e.sim.Universe.CharacterIDs())
		corp := e.sim.Universe.CorporationIDs()[3]
		const bogus = 2_100_000_007
		ids = slices.Insert(ids, 1500, bogus)
		ids = slices.Insert(ids, 77, corp)
		got, unknown, err := c.Affiliations(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(unknown)
		if want := []int32{corp, bogus}; !slices.Equal(unknown, want) {
			t.Errorf("unknown = %v, want %v", unknown, want)
		}
		if len(got) != len(ids)-2 {
			t.Fatalf("%d affiliations, want %d", len(got), len(ids)-2)
		}
		for _, a := range got {
			ch, err := e.sim.Universe.Character(a.CharacterID)
			if err != nil || a.CorporationID != ch.CorporationID {
				t.Fatalf("affiliation %+v, universe %+v (%v)", a, ch, err)
			}
		}
		// Each bad id costs a request per halving of its chunk, no more.
		if n := e.count("POST /characters/affiliation"); n > 3+2*2*11 {
			t.Errorf("%d requests", n)
		}
	})
}

// Names splits a chunk that ESI refuses because of one unresolvable id
// until the id is alone, and resolves the rest.
func TestNamesIsolatesUnresolvable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 300)
		c := e.client(t, nil)
		ids := slices.Clone(e.sim.Universe.CharacterIDs()[:200])
		const bogus = 2_100_000_007
		ids = slices.Insert(ids, 77, bogus)
		names, unresolved, err := c.Names(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(unresolved, []int32{bogus}) {
			t.Errorf("unresolved = %v, want [%d]", unresolved, bogus)
		}
		if len(names) != 200 {
			t.Fatalf("%d names, want 200", len(names))
		}
		for _, n := range names {
			ch, err := e.sim.Universe.Character(n.ID)
			if err != nil || n.Name != ch.Name || n.Category != "character" {
				t.Fatalf("name %+v, universe %+v (%v)", n, ch, err)
			}
		}
		// One 404 per level of halving, plus the halves that resolve.
		if n := e.count("POST /universe/names"); n > 2*9+1 {
			t.Errorf("%d requests to isolate one id among 201", n)
		}
		if e.status(http.StatusNotFound) == 0 {
			t.Error("the simulator never refused a chunk")
		}
	})
}

// A paged walk reads every page; when a page shows another Last-Modified
// than page 1 (the data changed mid-walk) the walk restarts, and gives up
// with ErrPagesChanged when the data never holds still.
func TestGetPagesRestartsWhenDataChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var mu sync.Mutex
		version, changes := 1, 0 // changes: how many walks see a change after page 1
		requests := 0
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			requests++
			page := r.URL.Query().Get("page")
			if page == "1" && changes > 0 {
				changes--
				defer func() { version++ }() // the data changes right after page 1
			}
			h := w.Header()
			h.Set("X-Pages", "3")
			h.Set("Last-Modified", testStart.Add(time.Duration(version)*time.Minute).Format(http.TimeFormat))
			h.Set("Expires", testStart.Add(time.Hour).Format(http.TimeFormat))
			h.Set("ETag", `"v`+strconv.Itoa(version)+"-"+page+`"`)
			w.Write([]byte(`["v` + strconv.Itoa(version) + ` p` + page + `"]`))
		}))
		t.Cleanup(ts.Close)
		e := &env{db: db, clock: newTestClock(), url: ts.URL, toks: &ssoTokens{}}
		e.sleep = &sleeper{clock: e.clock}
		c := e.client(t, nil)
		req := Request{Route: "GET /alliances/{alliance_id}/contacts", Path: "/alliances/99000001/contacts"}
		walk := func() ([]string, error) {
			pages, err := c.GetPages(context.Background(), req)
			out := make([]string, len(pages))
			for i, p := range pages {
				out[i] = string(p)
			}
			return out, err
		}

		mu.Lock()
		changes = 1
		mu.Unlock()
		got, err := walk()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{`["v2 p1"]`, `["v2 p2"]`, `["v2 p3"]`}; !slices.Equal(got, want) {
			t.Fatalf("pages = %v, want %v (one version, after the restart)", got, want)
		}
		if requests != 6 {
			t.Errorf("%d requests, want 6 (two walks of 3)", requests)
		}

		mu.Lock()
		changes = 10
		mu.Unlock()
		e.clock.Advance(2 * time.Hour) // past Expires
		if _, err := walk(); !errors.Is(err, ErrPagesChanged) {
			t.Fatalf("data changing at every walk: %v, want ErrPagesChanged", err)
		}
	})
}
