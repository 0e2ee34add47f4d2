package tokencheck_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// harness is a Checker as the application builds one, over a fresh
// database holding n core.default tokens and a simulated EVE that issued
// them, without the web site: for checks of many tokens (the share of a
// scheduled run, the SSO failing again and again) and for the benchmark.
type harness struct {
	db      *store.DB
	sim     *evesim.Sim
	tokens  *tokens.Store
	checker *tokencheck.Checker
	ids     []int32
	// refreshes counts the refresh grants that reached the SSO; down makes
	// its token endpoint answer 503.
	refreshes atomic.Int64
	down      atomic.Bool
}

const (
	harnessClient   = "keepstar-bench"
	harnessCallback = "http://127.0.0.1:9/sso/callback"
)

var harnessKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// newHarness seeds n tokens, one per simulated character, as checked at
// checkedAt. The refresh tokens come from the simulated SSO
// (IssueRefreshToken: the simulator knows them) and are stored through
// the token store, sealed as a login stores them, a thousand per
// transaction; the access tokens stored are placeholders, expired.
func newHarness(tb testing.TB, d config.Dialect, n int, checkedAt time.Time) *harness {
	tb.Helper()
	ctx := context.Background()
	h := &harness{}
	dbc := storetest.Database(tb, d)
	db, err := store.Open(ctx, dbc, 10) // KEEPSTAR_DATABASE_MAX_CONNS's default
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
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth/token") {
			if h.down.Load() {
				http.Error(w, "service unavailable", http.StatusServiceUnavailable)
				return
			}
			if r.ParseForm() == nil && r.PostForm.Get("grant_type") == "refresh_token" {
				h.refreshes.Add(1)
			}
		}
		handler.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	h.sim, err = evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 5, Characters: n, Issuer: simsso.IssuerEVE,
		RotateRefreshTokens: true, SigningKey: harnessKey(),
		Clients: []simsso.Client{{ID: harnessClient, Secret: "bench-secret", Callback: harnessCallback}}})
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
	seeding := tokens.NewStore(db, box, func() time.Time { return checkedAt })
	u := h.sim.Universe
	h.ids = u.CharacterIDs()[:n]
	scopes := []string{"publicData"}
	for start := 0; start < n; start += 1000 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, id := range h.ids[start:min(start+1000, n)] {
				c, err := u.Character(id)
				if err != nil {
					return err
				}
				rt, err := h.sim.SSO.IssueRefreshToken(harnessClient, id, scopes)
				if err != nil {
					return err
				}
				tok := sso.Token{AccessToken: "expired-placeholder-" + strconv.Itoa(int(id)), RefreshToken: rt, Expiry: checkedAt,
					Claims: sso.Claims{CharacterID: id, Name: c.Name, Owner: u.OwnerHash(c), Scopes: scopes}}
				if _, err := seeding.Save(ctx, tx, tok, logins.Default); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed tokens: %v", err)
		}
	}

	client, err := sso.New(sso.Config{BaseURL: ts.URL, ClientID: harnessClient, ClientSecret: "bench-secret", RedirectURL: harnessCallback})
	if err != nil {
		tb.Fatal(err)
	}
	esiClient, err := esi.New(esi.Config{BaseURL: ts.URL, UserAgent: "keepstar-bench", Cache: esi.NewCache(db, 0),
		Gate: esi.NewGate(db, esi.GateOptions{}), ClientID: harnessClient})
	if err != nil {
		tb.Fatal(err)
	}
	h.tokens = tokens.NewStore(db, box, nil)
	values := settings.NewStore(db, settings.NewRegistry(access.Settings, tokencheck.Settings), nil, 0)
	h.checker = tokencheck.New(tokencheck.Deps{
		DB: db, Tokens: h.tokens, Source: tokens.NewSource(h.tokens, client, tokens.SourceOptions{}),
		Logins: logins.NewStore(db, nil), Roles: esiClient, Accounts: accounts.New(db, accounts.Options{Tokens: h.tokens}),
		Affiliations: affiliations.New(db, esiClient, nil, 0), Recomputer: access.NewRecomputer(db, values, nil),
		Settings: values,
	})
	return h
}

// eachDialect runs fn once per engine, in parallel.
func eachDialect(t *testing.T, fn func(t *testing.T, d config.Dialect)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Share sizes a tick's work: twice an even spread, never less than one.
func TestShare(t *testing.T) {
	for _, c := range []struct {
		tokens       int
		tick, period time.Duration
		want         int
	}{
		{100_000, 10 * time.Minute, 6 * time.Hour, 5556},
		{6, 10 * time.Minute, time.Hour, 2},
		{1, 10 * time.Minute, 168 * time.Hour, 1},
		{90, 10 * time.Minute, 6 * time.Hour, 5},
		{90, time.Hour, time.Hour, 180},
		{0, 10 * time.Minute, time.Hour, 0},
	} {
		if got := tokencheck.Share(c.tokens, c.tick, c.period); got != c.want {
			t.Errorf("Share(%d, %s, %s) = %d, want %d", c.tokens, c.tick, c.period, got, c.want)
		}
	}
}

// A scheduled run over 90 tokens last checked seven hours ago, with the
// default period of six hours, refreshes its share of five, the longest
// unchecked first; the next run the next five.
func TestScheduledRunTakesItsShare(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 90, time.Now().Add(-7*time.Hour))
		for turn := range 2 {
			r, err := h.checker.Check(ctx, tokencheck.Scope{Since: time.Now(), Tick: tokencheck.Tick})
			if err != nil || r.Due != 5 || r.Valid != 5 {
				t.Fatalf("run %d: %+v, %v; want five checked", turn, r, err)
			}
			if n := h.refreshes.Load(); n != int64(5*(turn+1)) {
				t.Fatalf("run %d: %d refreshes in all, want %d", turn, n, 5*(turn+1))
			}
		}
		due, err := h.tokens.Due(ctx, time.Now().Add(-6*time.Hour), 0)
		if err != nil || len(due) != 80 {
			t.Fatalf("%d tokens still due, %v; want 80", len(due), err)
		}
	})
}

// The SSO down for a run of a hundred tokens: the run stops after
// two dozen failures in a row instead of trying every token, fails with
// ErrSSODown, and leaves every token valid.
func TestSSODownStopsTheRunEarly(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 100, time.Now().Add(-time.Hour))
		h.down.Store(true)
		r, err := h.checker.Check(ctx, tokencheck.Scope{All: true, Since: time.Now()})
		if !errors.Is(err, tokencheck.ErrSSODown) || r.Checked() != 0 || r.Unavailable < 24 || r.Unavailable >= 100 {
			t.Fatalf("run with the SSO down: %+v, %v", r, err)
		}
		if n, err := h.tokens.CountValid(ctx); err != nil || n != 100 {
			t.Fatalf("%d tokens valid after the failed run, %v", n, err)
		}
		h.down.Store(false)
		r, err = h.checker.Check(ctx, tokencheck.Scope{All: true, Since: time.Now()})
		if err != nil || r.Valid != 100 || h.refreshes.Load() != 100 {
			t.Fatalf("run with the SSO back: %+v, %v, %d refreshes", r, err, h.refreshes.Load())
		}
	})
}

// A run whose time is up takes no more tokens and says so (the job then
// snoozes); the next attempt, with the same instant, checks what is left,
// and one more finds nothing left: runs resume, they never start over.
func TestRunOutOfTimeResumes(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 50, time.Now().Add(-time.Hour))
		since := time.Now()
		r, err := h.checker.Check(ctx, tokencheck.Scope{All: true, Since: since, StopAt: time.Now().Add(-time.Second)})
		if err != nil || !r.More || r.Due != 50 || r.Checked() != 0 || h.refreshes.Load() != 0 {
			t.Fatalf("run out of time: %+v, %v, %d refreshes", r, err, h.refreshes.Load())
		}
		for attempt, want := range []int{50, 0} {
			r, err := h.checker.Check(ctx, tokencheck.Scope{All: true, Since: since})
			if err != nil || r.More || r.Due != want || r.Valid != want || h.refreshes.Load() != 50 {
				t.Fatalf("attempt %d: %+v, %v, %d refreshes; want %d checked", attempt, r, err, h.refreshes.Load(), want)
			}
		}
	})
}

// StopAt keeps a quarter of the job's time, at most two minutes, for what
// follows the refreshes; without a deadline there is no stop.
func TestStopAt(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		timeout, kept time.Duration
	}{{5 * time.Minute, 75 * time.Second}, {time.Hour, 2 * time.Minute}, {4 * time.Second, time.Second}} {
		ctx, cancel := context.WithDeadline(context.Background(), now.Add(c.timeout))
		if got, want := tokencheck.StopAt(ctx, now), now.Add(c.timeout-c.kept); !got.Equal(want) {
			t.Errorf("timeout %s: stop at %s, want %s", c.timeout, got.Sub(now), want.Sub(now))
		}
		cancel()
	}
	if got := tokencheck.StopAt(context.Background(), now); !got.IsZero() {
		t.Errorf("no deadline: stop at %s", got)
	}
}
