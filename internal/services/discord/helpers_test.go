package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/discordsim"
)

const (
	botToken = "bot-token"
	clientID = "111"
	secret   = "s3cret"
	callback = "https://keepstar.example/discord/callback"
)

// clock is the fake time shared by the simulator and the client; sleeping
// advances it, so tests never wait for real.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a simulated Discord with one guild, its owner and one user, and
// a client pointed at it; hits records the fake time of each request.
type world struct {
	t      *testing.T
	clk    *clock
	sim    *discordsim.Server
	srv    *httptest.Server
	c      *Client
	guild  discordsim.Guild
	user   discordsim.User
	mu     sync.Mutex
	hits   []time.Time
	paths  []string    // method and path of each API request
	header http.Header // of the last request
	// before, when set, runs before the simulator answers an API request
	// (another process acting at that moment).
	before func(r *http.Request)
}

func newWorld(t *testing.T, o Options) *world { return newWorldWith(t, o, nil) }

// newWorldWith is newWorld with the client's limiter made by limiter on
// the world's clock (nil: the client's default, a MemoryLimiter).
func newWorldWith(t *testing.T, o Options, limiter func(now func() time.Time, sleep func(context.Context, time.Duration) error) Limiter) *world {
	t.Helper()
	w := &world{t: t, clk: &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}}
	w.sim = discordsim.New(discordsim.Options{BotToken: botToken, ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{callback}, Now: w.clk.now})
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v10/") {
			w.mu.Lock()
			w.hits = append(w.hits, w.clk.now())
			w.paths = append(w.paths, r.Method+" "+r.URL.Path)
			w.header = r.Header.Clone()
			before := w.before
			w.mu.Unlock()
			if before != nil {
				before(r)
			}
		}
		w.sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.srv.Close)
	owner := w.sim.AddUser("owner")
	w.user = w.sim.AddUser("pilot")
	w.guild = w.sim.AddGuild("Alliance", owner.ID)
	o.BaseURL = w.srv.URL
	if o.BotToken == "" {
		o.BotToken = botToken
	}
	o.AppURL, o.Version = "https://keepstar.example", "1.2.3"
	o.Now, o.Sleep = w.clk.now, w.clk.sleep
	if limiter != nil {
		o.Limiter = limiter(w.clk.now, w.clk.sleep)
	}
	w.c = New(o)
	return w
}

func (w *world) hitCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.hits)
}

func (w *world) lastHeader() http.Header {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.header
}

func (w *world) role(name string) discordsim.Role {
	w.t.Helper()
	r, err := w.sim.AddRole(w.guild.ID, name, false)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// requests gives the API requests made since the count n (hitCount).
func (w *world) requests(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string{}, w.paths[n:]...)
}

// accessToken runs the simulator's OAuth2 flow for userID.
func (w *world) accessToken(userID string) string {
	w.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {w.code(userID)}, "redirect_uri": {callback},
		"client_id": {clientID}, "client_secret": {secret}}
	resp, err := http.PostForm(w.srv.URL+"/api/oauth2/token", f)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		w.t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// code runs the simulator's authorize page for userID and gives the code
// Keepstar's callback would get.
func (w *world) code(userID string) string {
	w.t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f := url.Values{"client_id": {clientID}, "redirect_uri": {callback}, "response_type": {"code"},
		"scope": {"identify guilds.join"}, "state": {"st"}, "user_id": {userID}}
	resp, err := noRedirect.PostForm(w.srv.URL+"/oauth2/authorize", f)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		w.t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	return loc.Query().Get("code")
}
