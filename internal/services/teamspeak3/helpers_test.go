package teamspeak3

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/teamspeaksim"
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
}

func startSim(t testing.TB, o teamspeaksim.Options) *sim {
	t.Helper()
	o.QueryUser, o.QueryPassword = queryUser, queryPass
	s := &sim{Server: teamspeaksim.New(o)}
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
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}
