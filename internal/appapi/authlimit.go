package appapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
)

// failedAuths limits the failed authentications of each client address
// (KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES and its window): once an address
// has failed that many times in a window, its Application API requests are
// refused with 429 until the window ends, before any database read or
// hash. Successful requests are not counted. It is counted in this
// process's memory, like the first count of the per-address limit, since
// it is there to spare the database and the processor a flood.
type failedAuths struct {
	limit   ratelimit.Limit
	counter *ratelimit.Memory
	metrics *ratelimit.Metrics
	logger  *slog.Logger
	now     func() time.Time
}

func newFailedAuths(limit ratelimit.Limit, metrics *ratelimit.Metrics, logger *slog.Logger) *failedAuths {
	if !limit.On() {
		return nil
	}
	return &failedAuths{limit: limit, counter: ratelimit.NewMemory(0), metrics: metrics, logger: logger, now: time.Now}
}

// refuse answers 429 when the client at key has failed too often in its
// window, and tells whether it did.
func (f *failedAuths) refuse(w http.ResponseWriter, r *http.Request, key string) bool {
	if f == nil {
		return false
	}
	now := f.now()
	win, ok := f.counter.Peek(key, now)
	if !ok || win.Requests < f.limit.Max {
		return false
	}
	res := f.limit.Check(win, now)
	f.metrics.Limited(ratelimit.KindAuth, true)
	f.logger.DebugContext(r.Context(), "app authentication failures: refused", "client", key,
		"failures", win.Requests, "seconds", ratelimit.Seconds(res.Elapsed))
	ratelimit.Refuse(w, "Authentication failure", res)
	return true
}

// failed counts a failed authentication of the client at key.
func (f *failedAuths) failed(r *http.Request, key string) {
	if f == nil {
		return
	}
	now := f.now()
	win, _ := f.counter.Hit(r.Context(), key, f.limit.Window, now) // Memory never fails
	if win.Requests == f.limit.Max {
		f.logger.InfoContext(r.Context(), "app authentication failures: limit reached", "client", key,
			"failures", win.Requests, "seconds", ratelimit.Seconds(now.Sub(win.Start)))
	}
}
