package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// The headers of Neucore's rate limits.
const (
	HeaderRemain = "X-Neucore-Rate-Limit-Remain"
	HeaderReset  = "X-Neucore-Rate-Limit-Reset"
)

// Limit allows Max requests in each window of length Window.
type Limit struct {
	Max    int64
	Window time.Duration
}

// On reports whether the limit is set; a zero Max or Window means none.
func (l Limit) On() bool { return l.Max > 0 && l.Window > 0 }

// Window is a key's window once a request was counted in it.
type Window struct {
	Start time.Time
	// Requests in the window, the one just counted included.
	Requests int64
}

// Counter counts requests per key in fixed windows.
type Counter interface {
	// Hit counts one request of key at now and gives its window: the
	// current one when it began less than window before now, else a new
	// one beginning at now.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (Window, error)
}

// Result is what a request learns of its limit.
type Result struct {
	// Remaining is Max less the requests of the window: -1 for the first
	// request over the limit, as Neucore shows it.
	Remaining int64
	Requests  int64
	// ResetIn is the time until the window ends, Elapsed the time since it
	// began.
	ResetIn time.Duration
	Elapsed time.Duration
}

// Check gives what a request counted in w at now learns.
func (l Limit) Check(w Window, now time.Time) Result {
	elapsed := max(now.Sub(w.Start), 0)
	// Another process's clock may be a little ahead: the reset is never
	// further than a window away.
	resetIn := min(max(l.Window-elapsed, 0), l.Window)
	return Result{Remaining: l.Max - w.Requests, Requests: w.Requests, ResetIn: resetIn, Elapsed: elapsed}
}

// Exceeded reports whether the request is over the limit.
func (r Result) Exceeded() bool { return r.Remaining < 0 }

// FirstExceeded reports whether the request is the first over the limit in
// its window, in whichever process counted it: the one worth a log line.
func (r Result) FirstExceeded() bool { return r.Remaining == -1 }

// LogLevel is the level to log a request over the limit at: info for the
// first of its window, debug for the rest, since a client that keeps on
// would fill the log.
func (r Result) LogLevel() slog.Level {
	if r.FirstExceeded() {
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// SetHeaders writes r's remain and reset on h, unless h already shows a
// remain no greater: a response under two limits (its client address and
// its app) shows the tighter, as Neucore's, and on a tie the one set first.
func SetHeaders(h http.Header, r Result) {
	if prev := h.Get(HeaderRemain); prev != "" {
		if n, err := strconv.ParseInt(prev, 10, 64); err == nil && n <= r.Remaining {
			return
		}
	}
	h.Set(HeaderRemain, strconv.FormatInt(r.Remaining, 10))
	h.Set(HeaderReset, tenths((r.ResetIn+100*time.Millisecond-1)/(100*time.Millisecond)))
}

// Refuse answers 429 with Neucore's text body, "<who> rate limit exceeded
// with 51 requests in 5.5 seconds.", and a Retry-After for clients that
// know only the standard header.
func Refuse(w http.ResponseWriter, who string, r Result) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Retry-After", strconv.FormatInt(max(int64((r.ResetIn+time.Second-1)/time.Second), 1), 10))
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintf(w, "%s rate limit exceeded with %d requests in %s seconds.", who, r.Requests, Seconds(r.Elapsed))
}

// Seconds writes d in seconds rounded to a tenth, as PHP prints
// round($seconds, 1): "5.5", "10", "0".
func Seconds(d time.Duration) string {
	return tenths((d + 50*time.Millisecond) / (100 * time.Millisecond))
}

// tenths writes n tenths of a second.
func tenths(n time.Duration) string {
	s := strconv.FormatInt(int64(n/10), 10)
	if f := n % 10; f != 0 {
		s += "." + strconv.FormatInt(int64(f), 10)
	}
	return s
}
