package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler answers /metrics in Prometheus' text format.
func metricsHandler(g prometheus.Gatherer, logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)})
}

// hasMetricsToken reports whether r carries the metrics token as a bearer
// token.
func hasMetricsToken(r *http.Request, token string) bool {
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1
}

// MetricsListener serves /metrics alone on a listener of its own
// (KEEPSTAR_METRICS_LISTEN), in any mode, workers too.
type MetricsListener struct {
	metrics http.Handler
	token   string
	logger  *slog.Logger
}

// NewMetricsListener answers /metrics with what g gathers. A token, when
// set, is required as a bearer token, as on the main listener. Without one,
// every request that reaches the listener is answered: its address
// (loopback, a private network, a firewall) is what protects it, not
// forwarding headers, which no proxy in front of it should be trusted for.
func NewMetricsListener(g prometheus.Gatherer, token string, logger *slog.Logger) *MetricsListener {
	return &MetricsListener{metrics: metricsHandler(g, logger), token: token, logger: logger}
}

// ServeHTTP answers GET /metrics, and 404 or 403 to anything else.
func (m *MetricsListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path != "/metrics":
		http.Error(w, "Not found: this listener serves /metrics only.", http.StatusNotFound)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed: /metrics answers GET.", http.StatusMethodNotAllowed)
	case m.token != "" && !hasMetricsToken(r, m.token):
		http.Error(w, "Forbidden: /metrics answers requests with the metrics token (KEEPSTAR_METRICS_TOKEN).", http.StatusForbidden)
	default:
		m.metrics.ServeHTTP(w, r)
	}
}

// Serve runs the metrics listener on ln until ctx ends, then shuts down
// gracefully within shutdownTimeout.
func (m *MetricsListener) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	return serve(ctx, ln, m, m.logger, shutdownTimeout)
}
