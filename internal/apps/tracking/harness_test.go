package tracking_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// harness is the feature's engine over a fresh database and a simulated
// EVE, with a director's core.tracking token for some corporations: the
// job as the site runs it, without the web site.
type harness struct {
	db    *store.DB
	sim   *evesim.Sim
	clock *universe.Clock
	t     *tracking.Tracking
	toks  *tokens.Store
	// calls counts ESI requests by route pattern.
	mu    sync.Mutex
	calls map[string]int
	total atomic.Int64
}

const (
	hClient   = "keepstar-tracking"
	hCallback = "http://127.0.0.1:9/sso/callback"
)

var hKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

var trackingScopes = []string{"esi-corporations.track_members.v1", "esi-universe.read_structures.v1"}

// newHarness makes a universe of n characters on dialect d.
func newHarness(tb testing.TB, d config.Dialect, n int) *harness {
	tb.Helper()
	ctx := context.Background()
	h := &harness{calls: map[string]int{}}
	db, err := store.Open(ctx, storetest.Database(tb, d), 10)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.MigrateSchema(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	h.db = db
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.total.Add(1)
		h.mu.Lock()
		h.calls[r.Method+" "+r.URL.Path]++
		h.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	h.clock = universe.NewClock(time.Now)
	h.sim, err = evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 7, Characters: n, Issuer: simsso.IssuerEVE,
		SigningKey: hKey(), Clock: h.clock,
		Clients: []simsso.Client{{ID: hClient, Secret: "secret", Callback: hCallback}}})
	if err != nil {
		tb.Fatal(err)
	}
	handler = h.sim
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secrets.New(key, tokens.SecretPurpose)
	if err != nil {
		tb.Fatal(err)
	}
	h.toks = tokens.NewStore(db, box, h.clock.Now)
	client, err := sso.New(sso.Config{BaseURL: ts.URL, ClientID: hClient, ClientSecret: "secret", RedirectURL: hCallback})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := esi.New(esi.Config{BaseURL: ts.URL, UserAgent: "keepstar-test", Cache: esi.NewCache(db, 0),
		Gate: esi.NewGate(db, esi.GateOptions{}), ClientID: hClient, Now: h.clock.Now,
		Tokens: tokens.NewSource(h.toks, client, tokens.SourceOptions{})})
	if err != nil {
		tb.Fatal(err)
	}
	h.t = tracking.NewTracking(tracking.Deps{DB: db, ESI: e, Now: h.clock.Now})
	return h
}

// addDirector gives the CEO of corp an account and a core.tracking token
// that held its roles at the last check, returning the CEO's id.
func (h *harness) addDirector(tb testing.TB, corp int32) int32 {
	tb.Helper()
	u := h.sim.Universe
	co, err := u.Corporation(corp)
	if err != nil {
		tb.Fatal(err)
	}
	return h.addDirectorCharacter(tb, corp, co.CEOID)
}

// addDirectorCharacter gives a character of corp the role Director in
// game, an account, and a core.tracking token that held its roles at the
// last check.
func (h *harness) addDirectorCharacter(tb testing.TB, corp, id int32) int32 {
	tb.Helper()
	ctx := context.Background()
	u := h.sim.Universe
	if err := u.SetRoles(id, []string{"Director"}); err != nil {
		tb.Fatal(err)
	}
	c, err := u.Character(id)
	if err != nil {
		tb.Fatal(err)
	}
	h.addAccount(tb, c.ID, c.Name, corp)
	rt, err := h.sim.SSO.IssueRefreshToken(hClient, c.ID, trackingScopes)
	if err != nil {
		tb.Fatal(err)
	}
	tok := sso.Token{AccessToken: "expired-" + strconv.Itoa(int(c.ID)), RefreshToken: rt, Expiry: h.clock.Now().Add(-time.Hour),
		Claims: sso.Claims{CharacterID: c.ID, Name: c.Name, Owner: u.OwnerHash(c), Scopes: trackingScopes}}
	if _, err := h.toks.Save(ctx, h.db, tok, logins.Tracking); err != nil {
		tb.Fatal(err)
	}
	if err := h.toks.SetHasRoles(ctx, h.db, c.ID, logins.Tracking, true); err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

// addAccount makes an account whose main is the character.
func (h *harness) addAccount(tb testing.TB, id int32, name string, corp int32) int64 {
	tb.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	var acc int64
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, name, now).Scan(&acc); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
			VALUES ($1, $2, $3, 'hash', TRUE, $4, $5)`, id, acc, name, corp, now)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return acc
}

func (h *harness) count(route string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[route]
}

// esiCalls counts the requests made to ESI, the SSO's (token refreshes)
// left out.
func (h *harness) esiCalls() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for route, c := range h.calls {
		if !strings.Contains(route, "/oauth/") {
			n += int64(c)
		}
	}
	return n
}

func (h *harness) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = map[string]int{}
	h.total.Store(0)
}

func itoa(id int32) string { return strconv.Itoa(int(id)) }

// playerCorps lists the corporations whose CEO is a simulated character,
// the most members first.
func (h *harness) playerCorps(tb testing.TB) []int32 {
	tb.Helper()
	u := h.sim.Universe
	var out []int32
	for _, id := range u.CorporationIDs() {
		co, err := u.Corporation(id)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := u.Character(co.CEOID); err == nil {
			out = append(out, id)
		}
	}
	slices.SortStableFunc(out, func(a, b int32) int { return u.MemberCount(b) - u.MemberCount(a) })
	return out
}
