package services

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count the services' work in this process, per instance (its
// slug); the queue is read from the database at each scrape.
type Metrics struct {
	queued   prometheus.Counter
	snoozed  prometheus.Counter
	synced   *prometheus.CounterVec
	removed  *prometheus.CounterVec
	failures *prometheus.CounterVec
	calls    *prometheus.HistogramVec
	waits    *prometheus.CounterVec
	pending  *prometheus.Desc
	errors   *prometheus.Desc
	linked   *prometheus.Desc
	// status reads the instances' counts; set by the feature.
	status func(ctx context.Context) (map[string]Status, error)
}

// NewMetrics makes the collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		queued: prometheus.NewCounter(prometheus.CounterOpts{Name: "keepstar_services_syncs_queued_total",
			Help: "Sync jobs queued for service accounts (a job already waiting is counted again, and skipped)."}),
		snoozed: prometheus.NewCounter(prometheus.CounterOpts{Name: "keepstar_services_syncs_delayed_total",
			Help: "Sync jobs put off because their service was unavailable or limiting."}),
		synced: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_services_syncs_total",
			Help: "Changes applied to service accounts."}, []string{"service"}),
		removed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_services_removals_total",
			Help: "Service accounts whose access was taken away."}, []string{"service"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_services_failures_total",
			Help: "Changes on services that failed (they are tried again)."}, []string{"service"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "keepstar_services_call_seconds",
			Help: "Time of one change on a service, rate-limit waits included.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 8)},
			[]string{"service"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_services_rate_limit_wait_seconds_total",
			Help: "Time spent waiting for a service's rate limits."}, []string{"service"}),
		pending: prometheus.NewDesc("keepstar_services_pending", "Service accounts with a change not applied yet.", []string{"service"}, nil),
		errors:  prometheus.NewDesc("keepstar_services_errors", "Service accounts whose last change failed.", []string{"service"}, nil),
		linked:  prometheus.NewDesc("keepstar_services_accounts", "Service accounts.", []string{"service"}, nil),
	}
}

func (m *Metrics) observeCall(slug string, d time.Duration) {
	m.calls.WithLabelValues(slug).Observe(d.Seconds())
}

// Waited records time spent waiting for an instance's rate limits (the
// connectors' limiters call it).
func (m *Metrics) Waited(slug string, d time.Duration) {
	if m != nil && d > 0 {
		m.waits.WithLabelValues(slug).Add(d.Seconds())
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	ch <- m.pending
	ch <- m.errors
	ch <- m.linked
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
	if m.status == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	all, err := m.status(ctx)
	if err != nil {
		return
	}
	for slug, st := range all {
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(st.Pending), slug)
		ch <- prometheus.MustNewConstMetric(m.errors, prometheus.GaugeValue, float64(st.Errors), slug)
		ch <- prometheus.MustNewConstMetric(m.linked, prometheus.GaugeValue, float64(st.Accounts), slug)
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.queued, m.snoozed, m.synced, m.removed, m.failures, m.calls, m.waits}
}
