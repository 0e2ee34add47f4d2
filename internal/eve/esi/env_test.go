package esi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	evesso "github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/evesimtest"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// testStart is after the compatibility date, which the simulator refuses
// while it is in the future of its clock.
var testStart = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// testBox seals the cached answers of authenticated calls.
var testBox = sync.OnceValue(func() *secrets.Box {
	b, err := secrets.New([]byte("keepstar-test-secret-key-of-32-bytes-or-more"), SecretPurpose)
	if err != nil {
		panic(err)
	}
	return b
})

// testKey is one signing key for every simulator of the package.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	appID     = "keepstar-test"
	appSecret = "keepstar-test-secret"
	callback  = "http://127.0.0.1:9/sso/callback"
)

// env is a simulated EVE served over real HTTP, counting the ESI requests
// it receives and the 304s it answers, with one database for the clients.
type env struct {
	sim   *evesim.Sim
	clock *universe.Clock
	url   string
	db    *store.DB
	sleep *sleeper
	toks  *ssoTokens

	mu       sync.Mutex
	requests map[string]int // by method and path
	statuses map[int]int
}

func newEnv(t testing.TB, db *store.DB, characters int) *env {
	t.Helper()
	e := &env{db: db, requests: map[string]int{}, statuses: map[int]int{}, toks: &ssoTokens{m: map[int32]string{}}}
	e.clock = universe.NewClock(func() time.Time { return testStart })
	e.sleep = &sleeper{clock: e.clock}
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		handler.ServeHTTP(rec, r)
		e.mu.Lock()
		e.requests[r.Method+" "+r.URL.Path]++
		e.statuses[rec.status]++
		e.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	sim, err := evesim.New(evesim.Options{
		BaseURL: ts.URL, Seed: 11, Characters: characters, Clock: e.clock, SigningKey: testKey(),
		Clients: []sso.Client{{ID: appID, Secret: appSecret, Callback: callback}},
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = sim
	e.sim, e.url = sim, ts.URL
	return e
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// count gives the requests seen for "METHOD /path".
func (e *env) count(req string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[req]
}

func (e *env) status(code int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statuses[code]
}

// client gives a Client over the env's database and simulator; change
// adjusts its configuration.
func (e *env) client(t testing.TB, change func(*Config, *GateOptions)) *Client {
	t.Helper()
	cfg := Config{BaseURL: e.url, UserAgent: "Keepstar/test (+https://keepstar.example)", Tokens: e.toks,
		ClientID: appID, Now: e.clock.Now, Sleep: e.sleep.Sleep}
	gopt := GateOptions{Now: e.clock.Now, Sleep: e.sleep.Sleep, MaxWait: 10 * time.Minute}
	if change != nil {
		change(&cfg, &gopt)
	}
	cfg.Cache, cfg.Gate = NewCache(e.db, 0).SealWith(testBox()), NewGate(e.db, gopt)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// login runs a real SSO login of a character through Keepstar's SSO
// client against the simulator, and keeps the access token for the
// client's TokenSource.
func (e *env) login(t testing.TB, characterID int32, scopes ...string) {
	t.Helper()
	client, err := evesso.New(evesso.Config{BaseURL: e.url, ClientID: appID, ClientSecret: appSecret, RedirectURL: callback, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok := evesimtest.Login(t, client, characterID, scopes...)
	e.toks.set(characterID, tok.AccessToken)
}

// ssoTokens is a TokenSource of access tokens from real simulated logins.
type ssoTokens struct {
	mu sync.Mutex
	m  map[int32]string
}

var errNoLogin = errors.New("test: character never logged in")

func (s *ssoTokens) AccessToken(_ context.Context, characterID int32, _ string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.m[characterID]
	if !ok {
		return "", errNoLogin
	}
	return tok, nil
}

func (s *ssoTokens) set(characterID int32, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[characterID] = tok
}

var _ TokenSource = (*ssoTokens)(nil)

// sleeper stands in for time passing: a wait moves the simulated clock to
// the instant the wait ends (unless another waiter already moved it
// further), as concurrent sleepers would see real time. It records each
// wait as the time left when it began.
type sleeper struct {
	clock *universe.Clock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, end time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, end.Sub(s.clock.Now()))
	if now := s.clock.Now(); now.Before(end) {
		s.clock.Advance(end.Sub(now))
	}
	return nil
}

func (s *sleeper) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newTestClock() *universe.Clock { return universe.NewClock(func() time.Time { return testStart }) }
