package appapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestAppLimitLogsAndResets drives the per-app limit with a clock of its
// own, on each engine's counter: one info line per app and window for the
// first request over the limit (debug after), headers and refusals only when
// active, and a fresh count once the window has passed.
func TestAppLimitLogsAndResets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, mode := range []string{RateLimitActive, RateLimitLog} {
			st := settings.NewStore(db, settings.NewRegistry(RateLimitSettings), nil, 0)
			if err := st.Set(ctx, map[string]string{SettingRateLimitMode.Name: mode,
				SettingRateLimitMax.Name: "2", SettingRateLimitWindow.Name: "10"}); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			l := &appLimit{settings: st, counter: ratelimit.ForDatabase(db),
				logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
				now:    func() time.Time { return now }}
			app := &App{ID: 7, Name: "Killboard"}
			if mode == RateLimitLog {
				app.ID = 8 // a counter of its own on PostgreSQL
			}
			request := func(wantAdmitted bool, wantRemain string) *httptest.ResponseRecorder {
				t.Helper()
				w := httptest.NewRecorder()
				admitted := l.admit(w, httptest.NewRequest("GET", "/api/app/v1/show", nil), app)
				if admitted != wantAdmitted || w.Header().Get(ratelimit.HeaderRemain) != wantRemain {
					t.Errorf("%s at %s: admitted %t, remain %q; want %t and %q", mode, now.Format("15:04:05"),
						admitted, w.Header().Get(ratelimit.HeaderRemain), wantAdmitted, wantRemain)
				}
				return w
			}
			active := mode == RateLimitActive
			shown := func(s string) string {
				if active {
					return s
				}
				return ""
			}
			request(true, shown("1"))
			now = now.Add(time.Second)
			request(true, shown("0"))
			now = now.Add(1500 * time.Millisecond)
			w := request(!active, shown("-1"))
			if active && (w.Code != http.StatusTooManyRequests ||
				w.Body.String() != "Application rate limit exceeded with 3 requests in 2.5 seconds.") {
				t.Errorf("refusal: %d %q", w.Code, w.Body.String())
			}
			request(!active, shown("-2"))
			// The window began at 12:00:00 and lasts 10 s.
			now = time.Date(2026, 11, 30, 12, 0, 10, 0, time.UTC)
			request(true, shown("1"))

			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			var info, debug int
			for _, line := range lines {
				switch {
				case strings.Contains(line, "level=INFO") && strings.Contains(line, `msg="API rate limit exceeded"`):
					info++
					for _, want := range []string{"app_id=" + strconv.FormatInt(app.ID, 10), "app=Killboard", "requests=3", "seconds=2.5", "mode=" + mode} {
						if !strings.Contains(line, want) {
							t.Errorf("%s: log line %q lacks %s", mode, line, want)
						}
					}
				case strings.Contains(line, "level=DEBUG"):
					debug++
				}
			}
			if info != 1 || debug != 1 {
				t.Errorf("%s: %d info and %d debug lines, want 1 and 1:\n%s", mode, info, debug, log.String())
			}
		}
	})
}
