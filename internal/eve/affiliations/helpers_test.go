package affiliations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// testStart is the universe's time when a test begins: after ESI's
// compatibility date, which the simulator refuses while in its future.
var testStart = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// simEVE is a simulated EVE over real HTTP whose clock stands still until
// the test moves it. It counts the ESI requests Keepstar makes for
// affiliations, corporations and alliances, and can act before the nth
// affiliation request (to start a fault in the middle of a sync).
type simEVE struct {
	*evesim.Sim
	url string

	mu       sync.Mutex
	requests map[string]int // by route: "affiliation", "corporation", "alliance"
	ok       map[string]int // the same, answered 200
	reads    map[string]int // by path, corporations and alliances
	before   func(n int)    // before the nth affiliation request
}

func newSimEVE(t testing.TB, characters int) *simEVE {
	t.Helper()
	return newSimEVEOn(t, characters, universe.NewClock(func() time.Time { return testStart }))
}

// newSimEVEOn gives a simulated EVE on the clock given.
func newSimEVEOn(t testing.TB, characters int, clock *universe.Clock) *simEVE {
	t.Helper()
	s := &simEVE{requests: map[string]int{}, ok: map[string]int{}, reads: map[string]int{}}
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := routeOf(r)
		if route == "" {
			handler.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.requests[route]++
		n := s.requests[route]
		if route != "affiliation" && route != "names" {
			s.reads[r.URL.Path]++
		}
		before := s.before
		s.mu.Unlock()
		if route == "affiliation" && before != nil {
			before(n)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		handler.ServeHTTP(rec, r)
		if rec.status == http.StatusOK {
			s.mu.Lock()
			s.ok[route]++
			s.mu.Unlock()
		}
	}))
	t.Cleanup(ts.Close)
	sim, err := evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 7, Characters: characters, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	handler, s.Sim, s.url = sim, sim, ts.URL
	return s
}

func routeOf(r *http.Request) string {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/characters/affiliation":
		return "affiliation"
	case r.Method == http.MethodPost && r.URL.Path == "/universe/names":
		return "names"
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/corporations/"):
		return "corporation"
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/alliances/"):
		return "alliance"
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// counts gives the requests and 200 answers of a route, and the reads of
// each corporation and alliance path, since the last reset.
func (s *simEVE) counts(route string) (requests, ok int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[route], s.ok[route]
}

func (s *simEVE) readPaths() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.reads))
	for k, v := range s.reads {
		out[k] = v
	}
	return out
}

func (s *simEVE) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.ok, s.reads = map[string]int{}, map[string]int{}, map[string]int{}
}

func (s *simEVE) beforeAffiliation(fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = fn
}

// control calls the simulator's control API, as a test or a demo does.
func (s *simEVE) control(t testing.TB, path string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		t.Error(err)
		return
	}
	res, err := http.Post(s.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Errorf("control %s: %v", path, err)
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("control %s answered %d", path, res.StatusCode)
	}
}

// keepstar is Keepstar's side over one database: the ESI client on the
// simulator's clock (its waits move the clock rather than sleep), the
// directory and the account rules.
type keepstar struct {
	db  *store.DB
	esi *esi.Client
	dir *affiliations.Directory
	acc *accounts.Accounts
}

// newKeepstar builds Keepstar's side; maxWait is the limit gate's longest
// wait before it gives up with a *esi.LimitedError (0: the default).
func newKeepstar(t testing.TB, s *simEVE, db *store.DB, maxWait time.Duration) *keepstar {
	t.Helper()
	sleep := func(ctx context.Context, until time.Time) error {
		s.Clock.Advance(until.Sub(s.Clock.Now()))
		return ctx.Err()
	}
	client, err := esi.New(esi.Config{BaseURL: s.url, UserAgent: "keepstar-test", Cache: esi.NewCache(db, 0),
		Gate: esi.NewGate(db, esi.GateOptions{Now: s.Clock.Now, Sleep: sleep, MaxWait: maxWait}),
		Now:  s.Clock.Now, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New([]byte("a test key of at least thirty-two bytes!"), tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	return &keepstar{db: db, esi: client, dir: affiliations.New(db, client, s.Clock.Now, 0),
		acc: accounts.New(db, accounts.Options{Tokens: tokens.NewStore(db, box, s.Clock.Now), Now: s.Clock.Now})}
}

// addCharacters makes the universe's characters Keepstar's, each on the
// account of its player account, with its affiliation as the universe has
// it now, in bulk.
func addCharacters(tb testing.TB, db *store.DB, u *universe.Universe, ids []int32) {
	tb.Helper()
	now := u.Now()
	var accs, chars [][]any
	mains := map[int32]bool{}
	for _, id := range ids {
		c, err := u.Character(id)
		if err != nil {
			tb.Fatal(err)
		}
		main := !mains[c.AccountID]
		if main {
			mains[c.AccountID] = true
			accs = append(accs, []any{int64(c.AccountID), c.Name, "standard", true, false, "", "", now, now})
		}
		corp, err := u.Corporation(c.CorporationID)
		if err != nil {
			tb.Fatal(err)
		}
		chars = append(chars, []any{c.ID, int64(c.AccountID), c.Name, u.OwnerHash(c), main,
			nullID(c.CorporationID), nullID(u.AllianceOf(c)), nullID(corp.FactionID), now})
	}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		if err := bulkInsert(tx, "accounts", "id, name, status, active, superuser, language, theme, created_at, updated_at", accs); err != nil {
			return err
		}
		if err := bulkInsert(tx, "characters", "id, account_id, name, owner_hash, main, corporation_id, alliance_id, faction_id, created_at", chars); err != nil {
			return err
		}
		if db.Dialect() == config.Postgres {
			// The identity column goes on past the ids given.
			_, err := tx.Exec(context.Background(), `SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))`)
			return err
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// addUnaffiliated adds a character of the universe to an account of
// Keepstar's, without any affiliation yet.
func addUnaffiliated(t testing.TB, db *store.DB, u *universe.Universe, id int32, account int64) {
	c, err := u.Character(id)
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO characters (id, account_id, name, owner_hash, main, created_at)
		VALUES ($1, $2, $3, $4, FALSE, $5)`, id, account, c.Name, u.OwnerHash(c), u.Now()); err != nil {
		t.Error(err)
	}
}

// bulkInsert writes rows with multi-row INSERTs of at most 900 values.
func bulkInsert(q store.Querier, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := 900 / len(rows[0])
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		values := make([]string, 0, len(part))
		var args []any
		for _, row := range part {
			values = append(values, "("+store.Placeholders(len(args)+1, len(row))+")")
			args = append(args, row...)
		}
		if _, err := q.Exec(context.Background(), `INSERT INTO `+table+` (`+columns+`) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func nullID(id int32) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// affiliation is a character's corporation, alliance and faction as
// Keepstar stores them (0: none).
type affiliation struct{ corporation, alliance, faction int32 }

// storedAffiliations reads every character's affiliation.
func storedAffiliations(t testing.TB, db *store.DB) map[int32]affiliation {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, COALESCE(corporation_id, 0), COALESCE(alliance_id, 0), COALESCE(faction_id, 0) FROM characters`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int32]affiliation{}
	for rows.Next() {
		var id int32
		var a affiliation
		if err := rows.Scan(&id, &a.corporation, &a.alliance, &a.faction); err != nil {
			t.Fatal(err)
		}
		out[id] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// universeAffiliation is a character's affiliation as the universe has it.
func universeAffiliation(t testing.TB, u *universe.Universe, id int32) affiliation {
	t.Helper()
	c, err := u.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	corp, err := u.Corporation(c.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	return affiliation{c.CorporationID, u.AllianceOf(c), corp.FactionID}
}

// playerCorporations lists the universe's player corporations.
func playerCorporations(u *universe.Universe) []int32 {
	var out []int32
	for _, id := range u.CorporationIDs() {
		if id >= universe.FirstPlayerCorporation {
			out = append(out, id)
		}
	}
	return out
}

// waitFor polls cond until it holds; the deadline only keeps a broken
// test from hanging.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 90 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
