package tracking_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// benchCorps and benchMembers are the size: 50 corporations of
// 2,000 members.
const (
	benchCorps   = 50
	benchMembers = 2000
)

// BenchmarkFullPass measures a full pass over 50 corporations of 2,000
// members once their cached answers have expired, an hour later, a tenth
// of the members having logged on or off meanwhile: one membertracking
// call per corporation and no name looked up again. The first pass, which resolves every name, is timed
// and counted once before the loop (cold-s, cold-calls).
//
//	go test -run '^$' -bench FullPass -benchtime 3x ./internal/apps/tracking/
func BenchmarkFullPass(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skipf("set %s to run on PostgreSQL", storetest.PostgresEnv)
			}
			benchFullPass(b, d)
		})
	}
}

func benchFullPass(b *testing.B, d config.Dialect) {
	ctx := context.Background()
	h := newHarness(b, d, benchCorps*benchMembers+20_000)
	u := h.sim.Universe
	corps := h.playerCorps(b)[:benchCorps]
	ceos := map[int32]bool{}
	for _, id := range u.CorporationIDs() {
		if co, err := u.Corporation(id); err == nil {
			ceos[co.CEOID] = true
		}
	}
	chosen := map[int32]bool{}
	for _, c := range corps {
		chosen[c] = true
	}
	var pool []int32
	for _, id := range u.CharacterIDs() {
		c, err := u.Character(id)
		if err == nil && !ceos[id] && !chosen[c.CorporationID] && !c.Biomassed {
			pool = append(pool, id)
		}
	}
	spill := h.playerCorps(b)[benchCorps]
	for _, corp := range corps {
		ms, err := u.Members(corp)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range ms {
			if len(ms) <= benchMembers {
				break
			}
			if !ceos[id] {
				if err := u.MoveCharacter(id, spill); err != nil {
					b.Fatal(err)
				}
				ms = slices.DeleteFunc(ms, func(x int32) bool { return x == id })
			}
		}
		for n := len(ms); n < benchMembers; n++ {
			if len(pool) == 0 {
				b.Fatal("not enough characters to fill the corporations")
			}
			if err := u.MoveCharacter(pool[0], corp); err != nil {
				b.Fatal(err)
			}
			pool = pool[1:]
		}
		if n := u.MemberCount(corp); n != benchMembers {
			b.Fatalf("corporation %d has %d members", corp, n)
		}
		h.addDirector(b, corp)
	}
	h.clock.Advance(time.Minute)

	h.reset()
	start := time.Now()
	r, err := h.t.Update(ctx)
	cold := time.Since(start)
	if err != nil || r.Corporations != benchCorps || r.Members != benchCorps*benchMembers {
		b.Fatalf("cold pass: %+v, %v", r, err)
	}
	coldCalls := h.esiCalls()

	// Between passes a tenth of the members log on or off: their rows
	// change, the rest do not.
	var all []int32
	for _, c := range corps {
		ms, _ := u.Members(c)
		all = append(all, ms...)
	}
	online := false
	var calls, tracking, names int64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		h.clock.Advance(time.Hour + time.Minute)
		online = !online
		for i := 0; i < len(all); i += 10 {
			if err := u.SetOnline(all[i], online); err != nil {
				b.Fatal(err)
			}
		}
		h.reset()
		b.StartTimer()
		r, err := h.t.Update(ctx)
		b.StopTimer()
		if err != nil || r.Corporations != benchCorps || r.Members != benchCorps*benchMembers || r.Failed != 0 {
			b.Fatalf("pass: %+v, %v", r, err)
		}
		calls, names = h.esiCalls(), int64(h.count("POST /universe/names"))
		tracking = 0
		for _, c := range corps {
			tracking += int64(h.count(fmt.Sprintf("GET /corporations/%d/membertracking", c)))
		}
		b.StartTimer()
	}
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(float64(coldCalls), "cold-esi-calls")
	b.ReportMetric(float64(calls), "esi-calls/pass")
	b.ReportMetric(float64(tracking), "membertracking/pass")
	b.ReportMetric(float64(names), "names/pass")
}
