package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Kinds of limits, the kind label of the metrics.
const (
	KindApp = "app" // per application (internal/appapi)
	KindIP  = "ip"  // per client address (internal/web)
	// KindAuth is the failed authentications of the Application API per
	// client address (internal/appapi).
	KindAuth = "auth"
)

// Metrics count the requests over a limit in this process. Give one to the
// limits of a process and register its Collectors.
type Metrics struct {
	limited *prometheus.CounterVec
}

// NewMetrics makes the counters, every series present from the start at 0.
func NewMetrics() *Metrics {
	m := &Metrics{limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_rate_limited_total",
		Help: "Requests over a rate limit, by kind of limit (app, ip, auth: failed app authentications) and action: refused with 429, or logged only " +
			"(an app limit in log mode)."}, []string{"kind", "action"})}
	for _, kind := range []string{KindApp, KindIP, KindAuth} {
		m.limited.WithLabelValues(kind, "refused")
	}
	m.limited.WithLabelValues(KindApp, "logged")
	return m
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector { return []prometheus.Collector{m.limited} }

// Limited counts one request over a limit of kind, refused or let through.
func (m *Metrics) Limited(kind string, refused bool) {
	if m == nil {
		return
	}
	action := "logged"
	if refused {
		action = "refused"
	}
	m.limited.WithLabelValues(kind, action).Inc()
}
