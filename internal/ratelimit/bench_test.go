package ratelimit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkHit counts requests of one key (one busy app) from as many
// goroutines as cores, in memory and in the database on each engine.
func BenchmarkHit(b *testing.B) {
	run := func(b *testing.B, c ratelimit.Counter) {
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Hit(ctx, "app:1", time.Hour, time.Now()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("memory", func(b *testing.B) { run(b, ratelimit.NewMemory(0)) })
	for _, d := range storetest.Dialects {
		b.Run("shared/"+string(d), func(b *testing.B) { run(b, ratelimit.NewShared(storetest.Open(b, d))) })
	}
	// What the table would cost if it were logged: every upsert's commit
	// waits for the disk.
	b.Run("shared/postgres-logged", func(b *testing.B) {
		db := storetest.Open(b, config.Postgres)
		if _, err := db.Exec(context.Background(), `ALTER TABLE rate_limits SET LOGGED`); err != nil {
			b.Fatal(err)
		}
		run(b, ratelimit.NewShared(db))
	})
}

// BenchmarkMemoryNewKeys counts one request of a new key per operation (a
// wide flood, each address once): in a table that stays nearly empty, as
// windows end all the time, and in one full of open windows, as the
// per-address table is under a flood from DefaultMaxKeys addresses. The
// two cost the same: a full table drops its oldest window to take a key.
func BenchmarkMemoryNewKeys(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	b.Run("empty", func(b *testing.B) {
		m := ratelimit.NewMemory(0)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			// A millisecond per thousand keys: about a thousand open.
			m.Hit(ctx, strconv.Itoa(i), time.Millisecond, t0.Add(time.Duration(i/1000)*time.Millisecond))
			i++
		}
	})
	b.Run("full", func(b *testing.B) {
		m := ratelimit.NewMemory(0)
		for i := range ratelimit.DefaultMaxKeys {
			m.Hit(ctx, "flood"+strconv.Itoa(i), time.Hour, t0)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			m.Hit(ctx, strconv.Itoa(i), time.Hour, t0.Add(time.Second))
			i++
		}
	})
}
