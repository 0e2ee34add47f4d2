package teamspeak3

import (
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
	"golang.org/x/crypto/ssh"
)

// Query login of the simulated servers.
const (
	queryUser = "serveradmin"
	queryPass = "query-secret"
)

// clock is a test clock shared by the simulated server and the client:
// sleeping moves it, so the anti-flood rule and the limiter see the same
// time and no test waits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// sim is a simulated server listening on loopback, raw and SSH.
type sim struct {
	*teamspeaksim.Server
	raw, ssh string
	web      string // WebQuery's origin, API key webKey
	clk      *clock
}

// webKey is the simulated servers' WebQuery API key.
const webKey = "BAByFoiEXZfnSJyE6dbXFiW_nn_SdwkclpKNz9j"

func startSim(t testing.TB, o teamspeaksim.Options) *sim {
	t.Helper()
	o.QueryUser, o.QueryPassword = queryUser, queryPass
	s := &sim{}
	if o.Now == nil {
		// Every test runs on a clock of its own, which the connectors
		// share (open): the anti-flood rule costs no real time.
		s.clk = newClock()
		o.Now = s.clk.Now
	}
	s.Server = teamspeaksim.New(o)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, ssh := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if ssh {
			s.ssh = ln.Addr().String()
			wg.Go(func() { _ = s.ServeSSH(ctx, ln) })
		} else {
			s.raw = ln.Addr().String()
			wg.Go(func() { _ = s.Serve(ctx, ln) })
		}
	}
	web := httptest.NewServer(s.WebQueryHandler(webKey))
	s.web = web.URL
	t.Cleanup(func() { web.Close(); cancel(); wg.Wait() })
	return s
}

// testKey is a KEEPSTAR_SECRET_KEY for the tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// open opens a connector on the simulated server over raw TCP, member
// group "Member"; edit changes its settings.
func open(t testing.TB, s *sim, o Options, edit func(map[string]string)) *Connector {
	t.Helper()
	host, port, err := net.SplitHostPort(s.raw)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{SettingHost: host, SettingQueryPort: port, SettingTransport: TransportRaw,
		SettingQueryUser: queryUser, SettingQueryPassword: queryPass, SettingMemberGroup: "Member",
		SettingPublicAddress: "ts.example.org", SettingVoicePort: "9987"}
	if edit != nil {
		edit(set)
	}
	if o.Now == nil && s.clk != nil {
		o.Now, o.Sleep = s.clk.Now, s.clk.Sleep
	}
	k, err := Open(services.Instance{ID: 7, Slug: "teamspeak", Settings: set}, services.Env{SecretKey: testKey}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// keyOf reads the privilege key from an account's join link.
func keyOf(t testing.TB, k *Connector, acct services.Account) string {
	t.Helper()
	u, err := url.Parse(k.JoinURL(acct))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// stateOf reads an account's connector state.
func stateOf(t testing.TB, acct services.Account) state {
	t.Helper()
	st, err := parseState(acct.State)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func splitAddr(t testing.TB, addr string) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// fingerprint is the simulated server's SSH host key as admins pin it.
func fingerprint(s *sim) string { return ssh.FingerprintSHA256(s.HostKey()) }
