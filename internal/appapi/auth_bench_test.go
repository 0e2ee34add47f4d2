package appapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// cpuTime is the processor time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs f b.N times and reports the processor time per call
// (cpu-ns/op) beside the wall time: on a shared machine the wall time
// counts waiting for a core too.
func loopCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkWrongSecret measures what a wrong secret costs: the check of
// the HMAC alone; the whole Authenticate (the bearer header read, the
// app's row read, the check) on each engine, whose processor time on
// PostgreSQL leaves out the server's; and, for comparison, one check of a
// legacy argon2id hash.
func BenchmarkWrongSecret(b *testing.B) {
	ctx := context.Background()
	wrong := strings.Repeat("0", 64)
	for _, d := range storetest.Dialects {
		db := storetest.Open(b, d)
		st := NewStore(db, internalTestKey, nil)
		app, err := st.Create(ctx, Input{Name: "Bot", Roles: []string{RoleApp}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.NewSecret(ctx, app.ID); err != nil {
			b.Fatal(err)
		}
		if d == storetest.Dialects[0] {
			hash, err := st.Get(ctx, app.ID)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("hmac-check", func(b *testing.B) {
				loopCPU(b, func() {
					if ok, err := verifyHMAC(st.mac, app.ID, wrong, hash.secretHash); ok || err != nil {
						b.Fatal("a wrong secret verified", err)
					}
				})
			})
			legacy := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			b.Run("argon2id-check", func(b *testing.B) {
				loopCPU(b, func() {
					if ok, err := verifyArgon2(wrong, legacy); ok || err != nil {
						b.Fatal("a wrong secret verified", err)
					}
				})
			})
		}
		a := NewAuthenticator(db, st, slog.New(slog.DiscardHandler))
		header := bearerOf(app.ID, wrong)
		b.Run("authenticate/"+string(d), func(b *testing.B) {
			loopCPU(b, func() {
				if _, err := a.Authenticate(ctx, header); !errors.Is(err, ErrUnauthenticated) {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFailedAuthRefused measures the answer to an address over its
// failed authentications: the count read and the 429, before any
// database read or hash.
func BenchmarkFailedAuthRefused(b *testing.B) {
	f := newFailedAuths(ratelimit.Limit{Max: 20, Window: time.Hour}, nil, slog.New(slog.DiscardHandler))
	r := httptest.NewRequest(http.MethodGet, "/api/app/v1/show", nil)
	for range 20 {
		f.failed(r, "198.51.100.1")
	}
	loopCPU(b, func() {
		if !f.refuse(httptest.NewRecorder(), r, "198.51.100.1") {
			b.Fatal("not refused")
		}
	})
}
