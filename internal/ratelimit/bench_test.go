package ratelimit_test

import (
	"context"
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
