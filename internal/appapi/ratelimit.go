package appapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/settings"
)

// Modes of the per-app rate limit.
const (
	RateLimitOff    = "off"
	RateLimitLog    = "log"    // count and log, refuse nothing
	RateLimitActive = "active" // headers on every answer, 429 beyond the limit
)

// Settings of the per-app rate limit, Neucore's rate_limit_app_* system
// variables: one limit that each app has on its own.
var (
	SettingRateLimitMode = settings.Definition{Name: "api.rate_limit_mode", Section: "appapi.settings.section.api",
		Kind: settings.KindEnum, Default: RateLimitOff, Choices: []string{RateLimitOff, RateLimitLog, RateLimitActive},
		ChoiceLabels: map[string]string{RateLimitOff: "appapi.settings.api.rate_limit_mode_off",
			RateLimitLog: "appapi.settings.api.rate_limit_mode_log", RateLimitActive: "appapi.settings.api.rate_limit_mode_active"},
		Label: "appapi.settings.api.rate_limit_mode", Help: "appapi.settings.api.rate_limit_mode_help"}
	SettingRateLimitMax = settings.Definition{Name: "api.rate_limit_max_requests", Section: "appapi.settings.section.api",
		Kind: settings.KindInt, Default: "600", Min: 1, Max: 1_000_000_000,
		Label: "appapi.settings.api.rate_limit_max_requests", Help: "appapi.settings.api.rate_limit_max_requests_help"}
	SettingRateLimitWindow = settings.Definition{Name: "api.rate_limit_window_seconds", Section: "appapi.settings.section.api",
		Kind: settings.KindInt, Default: "60", Min: 1, Max: 86400,
		Label: "appapi.settings.api.rate_limit_window_seconds", Help: "appapi.settings.api.rate_limit_window_seconds_help"}
)

// RateLimitSettings are the rate limit's definitions, for the settings
// registry.
var RateLimitSettings = []settings.Definition{SettingRateLimitMode, SettingRateLimitMax, SettingRateLimitWindow}

// appLimit is the per-app rate limit (Neucore's RateLimitApp): each app's
// requests are counted in fixed windows, across every process on
// PostgreSQL. Active, every answer carries the remaining requests and the
// time to the reset, and a request beyond the limit is refused with 429
// and Neucore's text. In log mode a request beyond it is only logged and
// counted, without headers, as Neucore does when the limit is configured
// but not active.
type appLimit struct {
	settings *settings.Store
	counter  ratelimit.Counter
	metrics  *ratelimit.Metrics
	logger   *slog.Logger
	now      func() time.Time
}

// admit counts app's request and tells whether it may go on; when not, the
// answer is written.
func (l *appLimit) admit(w http.ResponseWriter, r *http.Request, app *App) bool {
	if l == nil || l.settings == nil || l.counter == nil {
		return true
	}
	ctx := r.Context()
	values, err := l.settings.Values(ctx)
	if err != nil {
		// The request needs the database too; let it say what is wrong.
		l.logger.WarnContext(ctx, "app rate limit: no settings", "error", err)
		return true
	}
	mode := values.String(SettingRateLimitMode)
	if mode != RateLimitLog && mode != RateLimitActive {
		return true
	}
	limit := ratelimit.Limit{Max: int64(values.Int(SettingRateLimitMax)),
		Window: time.Duration(values.Int(SettingRateLimitWindow)) * time.Second}
	if !limit.On() {
		return true
	}
	now := l.now()
	win, err := l.counter.Hit(ctx, "app:"+strconv.FormatInt(app.ID, 10), limit.Window, now)
	if err != nil {
		l.logger.WarnContext(ctx, "app rate limit: not counted", "app_id", app.ID, "error", err)
		return true
	}
	res := limit.Check(win, now)
	active := mode == RateLimitActive
	if active {
		ratelimit.SetHeaders(w.Header(), res)
	}
	if !res.Exceeded() {
		return true
	}
	l.metrics.Limited(ratelimit.KindApp, active)
	l.logger.Log(ctx, res.LogLevel(), "API rate limit exceeded", "app_id", app.ID, "app", app.Name,
		"requests", res.Requests, "seconds", ratelimit.Seconds(res.Elapsed), "mode", mode)
	if !active {
		return true
	}
	ratelimit.Refuse(w, "Application", res)
	return false
}
