package mumble

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services/mumble/ice"
	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// benchUsers is how many Mumble users the benchmarks' instance has.
const benchUsers = 100_000

const benchSecret = "bench-secret"

// fillUsers gives an instance n users named pilot<i> with password pw<i>,
// written in batches in one transaction.
func fillUsers(b *testing.B, db *store.DB, n int) *users {
	b.Helper()
	ctx := context.Background()
	u, err := newUsers(db, instanceRow(b, db), testKey, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		const batch = 500
		for start := 0; start < n; start += batch {
			q := `INSERT INTO mumble_users (instance_id, user_id, username, username_key, password_hash, salt, display_name, groups, updated_at) VALUES `
			var args []any
			for i := start; i < min(start+batch, n); i++ {
				if i > start {
					q += ", "
				}
				k := len(args)
				q += fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9)
				name, salt := "pilot"+strconv.Itoa(i), newSalt()
				args = append(args, u.instance, userIDOffset+i, name, name, u.sum(salt, "pw"+strconv.Itoa(i)), salt,
					"[TICK]Pilot "+strconv.Itoa(i), "Fleet\nMember\nkeepstar", time.Now())
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// authenticateParams encodes ServerAuthenticator.authenticate's in
// parameters: name, pw, certificates (none), certhash, certstrong.
func authenticateParams(name, pw string) []byte {
	var e ice.Encoder
	e.String(name)
	e.String(pw)
	e.Size(0)
	e.String("")
	e.Bool(false)
	return e.Bytes()
}

// BenchmarkAuthenticate measures the authenticator's answer at the Ice
// layer, as murmurd gets it: one authenticate request over loopback TCP to
// the servant, answered from an instance of 100,000 users, for random
// users, right passwords. It reports the answer time's percentiles.
//
//	go test -run '^$' -bench BenchmarkAuthenticate -benchtime 20000x ./internal/services/mumble/
func BenchmarkAuthenticate(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			benchAuthenticate(b, d)
		})
	}
}

func benchAuthenticate(b *testing.B, d config.Dialect) {
	db := storetest.Open(b, d)
	u := fillUsers(b, db, benchUsers)
	auth := &authenticator{users: u, logger: slog.New(slog.DiscardHandler)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go murmur.Servant(murmur.ModuleMurmur, benchSecret, auth, nil).Serve(ctx, ln)
	c, err := ice.Dial(ctx, ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	id := ice.Identity{Name: "auth"}
	reqCtx := map[string]string{"secret": benchSecret}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		i := rand.IntN(benchUsers)
		start := time.Now()
		status, reply, err := c.Call(ctx, id, "authenticate", ice.ModeIdempotent, reqCtx, authenticateParams("pilot"+strconv.Itoa(i), "pw"+strconv.Itoa(i)))
		times = append(times, time.Since(start))
		if err != nil || status != ice.StatusOK || len(reply) < 4 {
			b.Fatalf("authenticate: %d %v", status, err)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(times[len(times)-1].Microseconds()), "max-µs")
}

// BenchmarkLoginsThroughMurmurd measures logins through the real murmurd:
// verifyPassword calls, from 8 Ice connections at once, each of which
// murmurd answers by asking Keepstar's authenticator (registered as the
// connector registers it). It reports logins per second and refusals
// (which must be 0).
//
//	KEEPSTAR_TEST_MURMURD=/usr/sbin/murmurd go test -run '^$' -bench BenchmarkLoginsThroughMurmurd -benchtime 10000x ./internal/services/mumble/
func BenchmarkLoginsThroughMurmurd(b *testing.B) {
	// murmurd writes each login to its own database: in WAL mode, as
	// docs/services-mumble.md advises, that costs no disk flush per login.
	m := mumbletest.Start(b, mumbletest.Options{Ini: []string{"autobanAttempts=0", "sqlite_wal=2"}})
	db := storetest.Open(b, config.SQLite)
	u := fillUsers(b, db, benchUsers)
	auth := &authenticator{users: u, logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	meta, err := murmur.Dial(ctx, m.IceAddr, m.Secret, "")
	if err != nil {
		b.Fatal(err)
	}
	defer meta.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go murmur.Servant(meta.Module(), m.Secret, auth, nil).Serve(ctx, ln)
	srv, err := meta.Server(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	proxy := ice.Proxy{Identity: ice.Identity{Name: "bench", Category: "authenticator"},
		Endpoints: []ice.TCPEndpoint{{Host: "127.0.0.1", Port: int32(ln.Addr().(*net.TCPAddr).Port), Timeout: 60000}}}
	if err := srv.SetAuthenticator(ctx, proxy); err != nil {
		b.Fatal(err)
	}
	const conns = 8
	servers := make([]*murmur.Server, conns)
	for i := range servers {
		mc, err := murmur.Dial(ctx, m.IceAddr, m.Secret, meta.Module())
		if err != nil {
			b.Fatal(err)
		}
		defer mc.Close()
		if servers[i], err = mc.Server(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, s := range servers {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				i := rand.IntN(benchUsers)
				id, err := s.VerifyPassword(ctx, "pilot"+strconv.Itoa(i), "pw"+strconv.Itoa(i))
				if err != nil || id != userIDOffset+i {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
	b.ReportMetric(float64(refused.Load()), "refused")
	if refused.Load() > 0 {
		b.Errorf("%d of %d logins refused", refused.Load(), b.N)
	}
}
