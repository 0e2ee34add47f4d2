package appapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkAppLimit measures what the per-app limit and the statistics add
// to each request of an app, apart from the operation: the limit off, and
// active with its counter in memory (SQLite's) or in SQLite and PostgreSQL
// (the Shared counter, PostgreSQL's choice).
func BenchmarkAppLimit(b *testing.B) {
	run := func(b *testing.B, mode string, counter func(*testing.B) ratelimit.Counter) {
		ctx := context.Background()
		db := storetest.Open(b, config.SQLite)
		st := settings.NewStore(db, settings.NewRegistry(RateLimitSettings), nil, time.Hour)
		if err := st.Set(ctx, map[string]string{SettingRateLimitMode.Name: mode,
			SettingRateLimitMax.Name: "1000000000", SettingRateLimitWindow.Name: "3600"}); err != nil {
			b.Fatal(err)
		}
		l := &appLimit{settings: st, counter: counter(b), logger: slog.New(slog.DiscardHandler), now: time.Now}
		counts := NewRequestCounts(db, nil)
		app := &App{ID: 1, Name: "Bench"}
		req := httptest.NewRequest(http.MethodGet, "/api/app/v1/show", nil)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			counts.Add(app.ID)
			if !l.admit(w, req, app) {
				b.Fatal("refused")
			}
		}
	}
	memory := func(*testing.B) ratelimit.Counter { return ratelimit.NewMemory(0) }
	b.Run("off", func(b *testing.B) { run(b, RateLimitOff, memory) })
	b.Run("active/memory", func(b *testing.B) { run(b, RateLimitActive, memory) })
	for _, d := range storetest.Dialects {
		b.Run("active/shared-"+string(d), func(b *testing.B) {
			run(b, RateLimitActive, func(b *testing.B) ratelimit.Counter { return ratelimit.NewShared(storetest.Open(b, d)) })
		})
	}
}
