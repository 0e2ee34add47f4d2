// Package sitetest runs a whole Keepstar site for tests: the keepstar serve
// process (internal/app) on a fresh database of either engine, wired to a
// simulated EVE (internal/evesim) served over real HTTP, and browsers that
// log in through the simulated SSO the way a player does, following every
// redirect.
package sitetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// The application the site is registered as in its simulator.
const (
	ClientID     = "keepstar-site"
	ClientSecret = "keepstar-site-secret"
)

// Options shape a site.
type Options struct {
	// Dialect is the engine; empty means SQLite.
	Dialect config.Dialect
	// Characters in the simulated universe; 0 means 300.
	Characters int
	// Env adds or overrides KEEPSTAR_ settings.
	Env map[string]string
	// SSOHost, when set, is the host name the site uses for the SSO
	// instead of the simulator's own (127.0.0.1), as a site reaching EVE
	// through a mirror or a proxy does.
	SSOHost string
	// SSOIssuer is the iss the simulated SSO writes; the zero value is
	// EVE's own, whatever address the SSO is reached at.
	SSOIssuer sso.IssuerForm
	// Mode is the mode of the site's serve process; empty means app.All.
	// The others need PostgreSQL.
	Mode app.Mode
	// Log, when set, receives the serve process's log at debug level (as
	// text lines), for tests of what is logged; it must be safe for
	// concurrent writes.
	Log io.Writer
	// Features are added to the site's own, as a plugin is (the guide's
	// example feature).
	Features []app.Constructor
	// ServiceTypes are connector types added to the shipped ones (the
	// in-memory test service, internal/services/memoryservice).
	ServiceTypes []services.TypeConstructor
	// PseudoLanguage offers the pseudo-language en-XA (internal/i18n,
	// WithPseudo) to browsers asking for it: every message marked.
	PseudoLanguage bool
}

// Site is a running Keepstar with its simulated EVE.
type Site struct {
	URL    string
	Sim    *evesim.Sim
	SimURL string
	// DB is a connection of the test's own to the site's database.
	DB     *store.DB
	Config *config.Config
	// Env is the KEEPSTAR_ settings Config was loaded from: a child
	// process given them (with a KEEPSTAR_LISTEN of its own) runs on the
	// site's database and simulator.
	Env map[string]string

	t        testing.TB
	dbc      config.Database
	mode     app.Mode
	log      io.Writer
	features []app.Constructor
	types    []services.TypeConstructor
	pseudo   bool
	ln       net.Listener
	routes   []web.Route
	queue    *jobs.Queue
	cancel   context.CancelFunc
	done     chan error
	ssoDown  atomic.Bool
	esiDown  atomic.Bool

	// membersMu guards members, the characters NewMember gave.
	membersMu sync.Mutex
	members   []int32
}

var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// Start runs a site until the test ends.
func Start(t testing.TB, opts Options) *Site {
	t.Helper()
	if opts.Dialect == "" {
		opts.Dialect = config.SQLite
	}
	if opts.Characters == 0 {
		opts.Characters = 300
	}
	if opts.Mode == "" {
		opts.Mode = app.All
	}
	s := &Site{t: t, dbc: storetest.Database(t, opts.Dialect), mode: opts.Mode, log: opts.Log, features: opts.Features, types: opts.ServiceTypes, pseudo: opts.PseudoLanguage,
		Env: map[string]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.URL = "http://" + ln.Addr().String()

	var handler http.Handler
	simServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The SSO's token endpoint down (SSODown): a 503 as a failing
		// load balancer answers.
		if s.ssoDown.Load() && r.URL.Path == "/v2/oauth/token" {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		// ESI unreachable (ESIDown): the connection of every ESI request
		// (Keepstar's carry X-Compatibility-Date, its SSO calls do not)
		// closed without an answer.
		if s.esiDown.Load() && r.Header.Get("X-Compatibility-Date") != "" {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(simServer.Close)
	s.SimURL = simServer.URL
	sim, err := evesim.New(evesim.Options{
		BaseURL: simServer.URL, Seed: 11, Characters: opts.Characters, Issuer: opts.SSOIssuer,
		RotateRefreshTokens: true, SigningKey: signingKey(),
		Clients: []sso.Client{{ID: ClientID, Secret: ClientSecret, Callback: s.URL + "/sso/callback"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	handler, s.Sim = sim, sim

	ssoURL := simServer.URL
	if opts.SSOHost != "" {
		_, port, _ := net.SplitHostPort(simServer.Listener.Addr().String())
		ssoURL = "http://" + net.JoinHostPort(opts.SSOHost, port)
	}
	dbURL := "sqlite:" + s.dbc.Path
	if s.dbc.Dialect == config.Postgres {
		dbURL = s.dbc.URL
	}
	env := map[string]string{
		"KEEPSTAR_SECRET_KEY":        "sitetest-secret-key-0123456789abcdefghij",
		"KEEPSTAR_DATABASE_URL":      dbURL,
		"KEEPSTAR_LISTEN":            ln.Addr().String(),
		"KEEPSTAR_EVE_SSO_URL":       ssoURL,
		"KEEPSTAR_ESI_URL":           simServer.URL,
		"KEEPSTAR_EVE_IMAGES_URL":    simServer.URL + "/images",
		"KEEPSTAR_EVE_CLIENT_ID":     ClientID,
		"KEEPSTAR_EVE_CLIENT_SECRET": ClientSecret,
		"KEEPSTAR_SHUTDOWN_TIMEOUT":  "5s",
		"KEEPSTAR_LOG_LEVEL":         "warn",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	maps.Copy(s.Env, env)
	s.Config, err = config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.run()
	s.DB, err = store.Open(context.Background(), s.dbc, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.DB.Close() })
	return s
}

// logger writes the site's log to the test's output when KEEPSTAR_TEST_LOG
// is set, and nowhere otherwise.
func logger() *slog.Logger {
	if os.Getenv("KEEPSTAR_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// run starts the serve process on the site's listener.
func (s *Site) run() {
	t := s.t
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	ready := make(chan struct{})
	ln := s.ln
	go func() {
		log := logger()
		if s.log != nil {
			log = slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		s.done <- app.Run(ctx, s.Config, log, app.Options{Mode: s.mode, Listener: ln, Features: s.features, ServiceTypes: s.types,
			OnReady: func(string) { close(ready) },
			OnWeb:   func(srv *web.Server) { s.routes = srv.Routes() },
			OnQueue: func(q *jobs.Queue) { s.queue = q }, PseudoLanguage: s.pseudo})
	}()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("site stopped before it was ready: %v", err)
	case <-time.After(readyWait):
		t.Fatalf("site not ready after %s", readyWait)
	}
	t.Cleanup(s.stop)
}

// readyWait bounds a site's start (migrations on a fresh database, the
// job client). A start takes a second or two; a CI machine busy with the
// race detector and several PostgreSQL tests at once once took over 30 s.
const readyWait = 120 * time.Second

func (s *Site) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	if err := <-s.done; err != nil {
		s.t.Errorf("site stopped with an error: %v", err)
	}
	s.cancel = nil
}

// Stop stops the site's serve process, leaving its database and simulator
// up: a test then runs processes of its own on them (StartProcess, or
// child processes given Env).
func (s *Site) Stop() { s.stop() }

// Restart stops the serve process and starts a new one on the same
// database and address, as an operator restarting Keepstar.
func (s *Site) Restart() {
	s.t.Helper()
	s.stop()
	ln, err := net.Listen("tcp", s.ln.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.ln = ln
	s.run()
}

// Routes lists the routes the site mounted, with who may use each.
func (s *Site) Routes() []web.Route { return s.routes }

// RunJob puts a job in the site's queue, as its scheduler or a change
// would, and waits until a worker has run it to completion.
func (s *Site) RunJob(t testing.TB, args river.JobArgs) {
	t.Helper()
	ctx := context.Background()
	res, err := s.queue.Insert(ctx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		job, err := s.queue.Job(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch job.State {
		case rivertype.JobStateCompleted:
			return
		case rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
			t.Fatalf("job %s ended %s: %v", args.Kind(), job.State, job.Errors)
		}
		if len(job.Errors) > 0 {
			t.Fatalf("job %s failed: %v", args.Kind(), job.Errors[len(job.Errors)-1].Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 60 s", args.Kind(), job.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SSODown makes the simulated SSO's token endpoint answer 503 (true) or
// work again (false).
func (s *Site) SSODown(down bool) { s.ssoDown.Store(down) }

// ESIDown makes ESI unreachable (every request's connection closed without
// an answer) until called with false.
func (s *Site) ESIDown(down bool) { s.esiDown.Store(down) }

// Accounts gives the account rules over the test's connection, to set up
// what a test needs (superusers, roles) without the web pages.
func (s *Site) Accounts() *accounts.Accounts { return accounts.New(s.DB, accounts.Options{}) }

// Services gives the services framework over the site's database, with
// the connector types given: to create instances and read service
// accounts as the site's own does. Its syncs are queued in the site's
// queue; only the site's process works them.
func (s *Site) Services(t testing.TB, types ...services.TypeConstructor) *services.Services {
	t.Helper()
	list := make([]services.Type, 0, len(types))
	for _, tc := range types {
		list = append(list, tc())
	}
	svc, err := services.New(services.Options{DB: s.DB, Queue: s.queue, SecretKey: s.Config.SecretKey, Types: list})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// AccountCharacters finds a simulated player account with at least n
// characters that can log in, and gives their ids.
func (s *Site) AccountCharacters(t testing.TB, n int, skip ...int32) []int32 {
	t.Helper()
	u := s.Sim.Universe
outer:
	for id := int32(1); id <= int32(u.Accounts()); id++ {
		acct, ok := u.Account(id)
		if !ok || len(acct.Characters) < n {
			continue
		}
		for _, c := range acct.Characters {
			for _, sk := range skip {
				if c == sk {
					continue outer
				}
			}
			ch, err := u.Character(c)
			if err != nil || ch.Biomassed {
				continue outer
			}
		}
		return acct.Characters[:n]
	}
	t.Fatalf("no simulated account with %d characters", n)
	return nil
}

// Body reads and closes a response's body.
func Body(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// LogBuffer keeps what a test's servers write (a site's log, Options.Log;
// a browser's output) for the test to read, safe to write from their
// goroutines while the test reads it.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is the log so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TokenLogins is a feature that uses the built-in EVE logins no feature of
// the core reads yet, core.tracking and core.mail, as member tracking and
// mail will (feature.Feature.Logins): tests of their token flows plug it
// in, since without it members are not offered them.
func TokenLogins(*core.Core) (feature.Feature, error) {
	return feature.Feature{Name: "sitetest.token_logins", Logins: []string{logins.Tracking, logins.Mail}}, nil
}
