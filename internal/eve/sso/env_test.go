package sso

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sim "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// testKey is one RSA key for the package's simulators.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// newClock gives the one clock of a test: the universe's (so the
// simulator's) and the client's, moved by hand.
func newClock() *universe.Clock {
	return universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
}

const (
	clientID     = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	clientSecret = "Keepstar+Secret/With=Odd&Chars"
	publicID     = "keepstar-public"
	callback     = "https://keepstar.example/sso/callback"
)

// env is a simulated SSO over a universe, served over real HTTP, and a
// client pointed at it.
type env struct {
	u      *universe.Universe
	clock  *universe.Clock
	sim    *sim.Server
	ts     *httptest.Server
	client *Client
	// jwksFetches counts the client's JWKS requests.
	jwksFetches atomic.Int32
	// failTokens makes the token endpoint answer 503, as an SSO in trouble.
	failTokens atomic.Bool
	noRedirect *http.Client
	// agents holds the User-Agent of every request, by path.
	agentsMu sync.Mutex
	agents   map[string][]string
}

type envOptions struct {
	issuer   sim.IssuerForm
	noRotate bool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{clock: newClock(), noRedirect: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	var err error
	e.u, err = universe.Generate(universe.Options{Seed: 7, Characters: 300, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewUnstartedServer(nil)
	e.sim, err = sim.New(sim.Options{
		BaseURL: "http://" + e.ts.Listener.Addr().String(),
		Clients: []sim.Client{
			{ID: clientID, Secret: clientSecret, Callback: callback},
			{ID: publicID, Callback: callback, Public: true},
		},
		Issuer: o.issuer, RotateRefreshTokens: !o.noRotate, Universe: e.u, SigningKey: testKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.agents = map[string][]string{}
	e.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.agentsMu.Lock()
		e.agents[r.URL.Path] = append(e.agents[r.URL.Path], r.Header.Get("User-Agent"))
		e.agentsMu.Unlock()
		switch {
		case r.URL.Path == "/oauth/jwks":
			e.jwksFetches.Add(1)
		case r.URL.Path == "/v2/oauth/token" && e.failTokens.Load():
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"proxy confused"}`))
			return
		}
		e.sim.ServeHTTP(w, r)
	})
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	e.client = e.newClient(t, clientID, clientSecret)
	return e
}

// agentsOf gives the User-Agents the requests for path carried.
func (e *env) agentsOf(path string) []string {
	e.agentsMu.Lock()
	defer e.agentsMu.Unlock()
	return slices.Clone(e.agents[path])
}

func (e *env) newClient(t *testing.T, id, secret string) *Client {
	t.Helper()
	c, err := New(Config{
		BaseURL: e.ts.URL, ClientID: id, ClientSecret: secret, RedirectURL: callback,
		HTTPClient: e.ts.Client(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// authorize follows the client's login URL as a browser would, with the
// simulator's shortcut choosing the character, and gives the callback's
// query.
func (e *env) authorize(t *testing.T, c *Client, charID int32, scopes []string, state, verifier string) url.Values {
	t.Helper()
	ctx := context.Background()
	u, err := c.AuthorizeURL(ctx, state, scopes, verifier)
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set("character_id", strconv.Itoa(int(charID)))
	pu.RawQuery = q.Encode()
	resp, err := e.noRedirect.Get(pu.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != callback {
		t.Fatalf("authorize redirected to %q", resp.Header.Get("Location"))
	}
	return loc.Query()
}

// code logs a character in and gives the code, checking the state.
func (e *env) code(t *testing.T, c *Client, charID int32, scopes []string, verifier string) string {
	t.Helper()
	state := NewState()
	q := e.authorize(t, c, charID, scopes, state, verifier)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	return q.Get("code")
}

// login runs the whole flow for a character with the env's client.
func (e *env) login(t *testing.T, charID int32, scopes ...string) Token {
	t.Helper()
	v := NewVerifier()
	tok, err := e.client.Exchange(context.Background(), e.code(t, e.client, charID, scopes, v), v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) character(t *testing.T, i int) universe.Character {
	t.Helper()
	c, err := e.u.Character(e.u.CharacterIDs()[i])
	if err != nil {
		t.Fatal(err)
	}
	return c
}
