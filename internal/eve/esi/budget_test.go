package esi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The budget read back is what the simulated ESI told the gate: the error
// budget, a route blocked by a 429, and the buckets of two characters in
// one group and the anonymous one of another; the metrics say the same,
// and count the requests sent (not the answers from the cache).
func TestBudgetAndMetrics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 50)
		metrics := NewMetrics()
		c := e.client(t, func(c *Config, g *GateOptions) { c.Metrics, g.MaxWait = metrics, time.Minute })
		ctx := context.Background()

		b, err := ReadBudget(ctx, db, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if b.Errors != nil || len(b.Blocked) != 0 || len(b.Groups) != 0 {
			t.Fatalf("budget before any call: %+v, want nothing", b)
		}

		ids := e.sim.Universe.CharacterIDs()
		if _, err := c.Character(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Character(ctx, ids[0]); err != nil { // from the cache: no request
			t.Fatal(err)
		}
		if _, err := c.Character(ctx, 2_100_000_000); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown character: %v, want ErrNotFound", err)
		}
		if _, err := c.Get(ctx, Request{Route: "GET /status", Path: "/status"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids[1:3] {
			e.login(t, id, "esi-characters.read_corporation_roles.v1")
			tok, _ := e.toks.AccessToken(ctx, id, "")
			if _, err := c.CharacterRoles(ctx, id, tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.sim.ESI.ThrottleNext("GET /characters/{character_id}", 1, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		var le *LimitedError
		if _, err := c.Character(ctx, ids[3]); !errors.As(err, &le) {
			t.Fatalf("throttled: %v, want a LimitedError", err)
		}

		now := e.clock.Now()
		b, err = ReadBudget(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if b.Errors == nil || b.Errors.Remaining != 98 || !b.Errors.Current(now) || !b.Errors.BlockedUntil.IsZero() {
			t.Errorf("error budget %+v, want 98 left (a 404 and a 429) in a current window, no block", b.Errors)
		}
		if len(b.Blocked) != 1 || b.Blocked[0].Route != "GET /characters/{character_id}" || !b.Blocked[0].Until.Equal(now.Add(5*time.Minute)) {
			t.Errorf("blocked routes %+v, want GET /characters/{character_id} for 5 minutes", b.Blocked)
		}
		want := []BucketGroup{
			{Group: "char-detail", Buckets: 2, Remaining: 598, Max: 600, Window: 15 * time.Minute},
			{Group: "status", Buckets: 1, Remaining: 598, Max: 600, Window: 15 * time.Minute},
		}
		if len(b.Groups) != len(want) {
			t.Fatalf("groups %+v, want %+v", b.Groups, want)
		}
		for i := range want {
			if b.Groups[i] != want[i] {
				t.Errorf("group %+v, want %+v", b.Groups[i], want[i])
			}
		}

		// The metrics, at the same instant.
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.Collectors()...)
		bc := NewBudgetCollector(db, nil)
		bc.now = e.clock.Now
		reg.MustRegister(bc)
		err = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP keepstar_esi_bucket_tokens_remaining Fewest tokens left in any bucket of the rate-limit group (one bucket per character, and one for anonymous calls).
# TYPE keepstar_esi_bucket_tokens_remaining gauge
keepstar_esi_bucket_tokens_remaining{group="char-detail"} 598
keepstar_esi_bucket_tokens_remaining{group="status"} 598
# HELP keepstar_esi_error_limit_remaining Errors ESI's legacy error limit still allows in its window, as ESI last told; absent until it told.
# TYPE keepstar_esi_error_limit_remaining gauge
keepstar_esi_error_limit_remaining 98
# HELP keepstar_esi_routes_blocked Routes without a rate-limit bucket that a 429 blocks now.
# TYPE keepstar_esi_routes_blocked gauge
keepstar_esi_routes_blocked 1
# HELP keepstar_esi_requests_total Requests this process sent to ESI, by route pattern and status class (2xx, 3xx, 4xx, 5xx; error: no answer). Answers from the cache are not requests.
# TYPE keepstar_esi_requests_total counter
keepstar_esi_requests_total{route="GET /characters/{character_id}",status="2xx"} 1
keepstar_esi_requests_total{route="GET /characters/{character_id}",status="4xx"} 2
keepstar_esi_requests_total{route="GET /characters/{character_id}/roles",status="2xx"} 2
keepstar_esi_requests_total{route="GET /status",status="2xx"} 1
`), "keepstar_esi_bucket_tokens_remaining", "keepstar_esi_error_limit_remaining", "keepstar_esi_routes_blocked", "keepstar_esi_requests_total")
		if err != nil {
			t.Error(err)
		}
		if got := gaugeValue(t, reg, "keepstar_esi_error_limit_reset_seconds"); got <= 0 || got > 60 {
			t.Errorf("error limit resets in %v s, want within the 60 s window", got)
		}

		// A whole window later the buckets are full again, the route is
		// free, and the error window is over.
		later := now.Add(16 * time.Minute)
		b, err = ReadBudget(ctx, db, later)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Blocked) != 0 || b.Errors.Current(later) || b.Groups[0].Remaining != 600 || b.Groups[1].Remaining != 600 {
			t.Errorf("budget a window later: %+v, %+v, want full buckets, no block, the error window over", b, b.Errors)
		}
	})
}

// gaugeValue gives the value of a metric of one sample from g.
func gaugeValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) == 1 {
			return f.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s of one sample", name)
	return 0
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "error", 200: "2xx", 204: "2xx", 304: "3xx", 404: "4xx", 420: "4xx",
		429: "4xx", 500: "5xx", 503: "5xx", 99: "error", 600: "error"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %s, want %s", status, got, want)
		}
	}
}
