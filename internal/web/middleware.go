package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/telemetry"
)

// RequestIDHeader carries the request id in and out. An id set by the reverse
// proxy is kept so its logs and ours can be joined.
const RequestIDHeader = "X-Request-Id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// requestIDAttr names the request id among the log attributes that the
// request's context carries (telemetry.WithAttrs), where RequestID reads
// it: kept there once, not in a context value of its own as well, which
// cost every request two allocations more (docs/performance.md).
const requestIDAttr = "request_id"

// RequestID gives the id of the request being served, or "".
func RequestID(r *http.Request) string {
	for _, a := range telemetry.Attrs(r.Context()) {
		if a.Key == requestIDAttr {
			return a.Value.String()
		}
	}
	return ""
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// httpMetrics are the request counters and latencies by route.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keepstar_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keepstar_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe gives every request an id, then logs and measures it. The route
// label is the ServeMux pattern that matched (never the raw path, which would
// let any client create metrics at will).
func observe(logger *slog.Logger, m *httpMetrics, quiet, hidden map[string]bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := telemetry.WithAttrs(r.Context(), slog.String(requestIDAttr, id))
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(ctx, "panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					http.Error(rec, "Internal server error. Request id: "+id, http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
			m.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if quiet[route] {
				level = slog.LevelDebug
			}
			if rec.status >= 500 {
				level = slog.LevelError
			}
			// Asked first: the attributes cost allocations even when the
			// level is off, as it is for most requests of a busy site.
			if logger.Enabled(ctx, level) {
				path := r.URL.Path
				if hidden[route] {
					path = route // the path holds a secret
				}
				logger.Log(ctx, level, "request", "method", r.Method, "path", path, "route", route,
					"status", rec.status, "bytes", rec.bytes, "duration", elapsed, "remote", r.RemoteAddr)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
