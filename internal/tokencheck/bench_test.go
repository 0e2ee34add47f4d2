package tokencheck_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// benchTokens is the size of the benchmark: KEEPSTAR_BENCH_TOKENS tokens,
// 100,000 unless set.
func benchTokens() int {
	if n, err := strconv.Atoi(os.Getenv("KEEPSTAR_BENCH_TOKENS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkTokenCheck measures one run asked for by hand over every token
// (the heaviest run there is) against the simulated SSO on the loopback:
// tokens checked per second, and refresh grants per token, which must be
// one. Run it once (-benchtime 1x): each iteration checks every token
// again.
func BenchmarkTokenCheck(b *testing.B) {
	n := benchTokens()
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			started := time.Now()
			h := newHarness(b, d, n, time.Now().Add(-7*time.Hour))
			b.Logf("%s: %d tokens seeded in %s", d, n, time.Since(started).Round(time.Millisecond))
			ctx := context.Background()
			dueStarted := time.Now()
			if due, err := h.tokens.Due(ctx, time.Now().Add(-6*time.Hour), tokencheck.Share(n, tokencheck.Tick, 6*time.Hour)); err != nil {
				b.Fatal(err)
			} else {
				b.Logf("%s: a scheduled run's selection of %d due tokens took %s", d, len(due), time.Since(dueStarted).Round(time.Microsecond))
			}
			for b.Loop() {
				before := h.refreshes.Load()
				began := time.Now()
				r, err := h.checker.Check(ctx, tokencheck.Scope{All: true, Since: time.Now()})
				took := time.Since(began)
				if err != nil || r.Valid != n {
					b.Fatalf("run: %+v, %v", r, err)
				}
				b.ReportMetric(float64(n)/took.Seconds(), "tokens/s")
				b.ReportMetric(float64(h.refreshes.Load()-before)/float64(n), "refreshes/token")
				b.Logf("%s: %d tokens checked in %s", d, n, took.Round(time.Millisecond))
			}
		})
	}
}
