package esi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkAffiliations refreshes the affiliations of 300,000 simulated
// characters against the simulator over HTTP, each call delayed 20 ms,
// with the gate and cache on SQLite: 300 calls of 1000 ids, Concurrency at
// once.
func BenchmarkAffiliations(b *testing.B) {
	const characters = 300_000
	e := newEnv(b, storetest.Open(b, config.SQLite), characters)
	if err := e.sim.ESI.SetLatency("POST /characters/affiliation", 20*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	c := e.client(b, func(c *Config, _ *GateOptions) {
		c.Concurrency = 16
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	})
	ids := e.sim.Universe.CharacterIDs()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		got, _, err := c.Affiliations(ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != characters {
			b.Fatalf("%d affiliations, want %d", len(got), characters)
		}
	}
	b.ReportMetric(float64(e.count("POST /characters/affiliation"))/float64(b.N), "calls/op")
}
