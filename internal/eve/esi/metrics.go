package esi

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/store"
)

// Metrics count the requests this process sends to ESI. Give one to the
// Clients of a process (Config.Metrics) and register its Collectors.
type Metrics struct {
	requests *prometheus.CounterVec
}

// NewMetrics makes the counters.
func NewMetrics() *Metrics {
	return &Metrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_esi_requests_total",
		Help: "Requests this process sent to ESI, by route pattern and status class (2xx, 3xx, 4xx, 5xx; error: no answer). " +
			"Answers from the cache are not requests."}, []string{"route", "status"})}
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector { return []prometheus.Collector{m.requests} }

// sent counts one request: its answer's status, or 0 when none came.
func (m *Metrics) sent(route string, status int) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, statusClass(status)).Inc()
}

// statusClass labels a status by its class: the route label already
// multiplies the series, and the class is what one alerts on.
func statusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return "error"
}

// BudgetCollector reports ESI's limits as the gate keeps them in the
// database, read at each scrape, so every process reports the same shared
// truth.
type BudgetCollector struct {
	db     *store.DB
	logger *slog.Logger
	now    func() time.Time

	errorsRemaining, errorsReset, errorsBlocked, routesBlocked *prometheus.Desc
	bucketRemaining, bucketMax, bucketsBlocked                 *prometheus.Desc
}

// NewBudgetCollector gives a collector over db's esi_limits.
func NewBudgetCollector(db *store.DB, logger *slog.Logger) *BudgetCollector {
	return &BudgetCollector{db: db, logger: logger, now: time.Now,
		errorsRemaining: prometheus.NewDesc("keepstar_esi_error_limit_remaining",
			"Errors ESI's legacy error limit still allows in its window, as ESI last told; absent until it told.", nil, nil),
		errorsReset: prometheus.NewDesc("keepstar_esi_error_limit_reset_seconds",
			"Seconds until the error limit's window resets; 0 once it has.", nil, nil),
		errorsBlocked: prometheus.NewDesc("keepstar_esi_error_limit_blocked_seconds",
			"Seconds until calls may go again after a 420 (error limit reached); 0 when not blocked.", nil, nil),
		routesBlocked: prometheus.NewDesc("keepstar_esi_routes_blocked",
			"Routes without a rate-limit bucket that a 429 blocks now.", nil, nil),
		bucketRemaining: prometheus.NewDesc("keepstar_esi_bucket_tokens_remaining",
			"Fewest tokens left in any bucket of the rate-limit group (one bucket per character, and one for anonymous calls).",
			[]string{"group"}, nil),
		bucketMax: prometheus.NewDesc("keepstar_esi_bucket_tokens_max",
			"Tokens a bucket of the rate-limit group holds per window.", []string{"group"}, nil),
		bucketsBlocked: prometheus.NewDesc("keepstar_esi_buckets_blocked",
			"Buckets of the rate-limit group that a 429 blocks now.", []string{"group"}, nil),
	}
}

func (c *BudgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.errorsRemaining, c.errorsReset, c.errorsBlocked, c.routesBlocked,
		c.bucketRemaining, c.bucketMax, c.bucketsBlocked} {
		ch <- d
	}
}

func (c *BudgetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.now()
	b, err := ReadBudget(ctx, c.db, now)
	if err != nil {
		c.logger.WarnContext(ctx, "ESI budget metrics unavailable", "error", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	secondsTo := func(t time.Time) float64 { return max(t.Sub(now).Seconds(), 0) }
	if e := b.Errors; e != nil {
		gauge(c.errorsRemaining, float64(e.Remaining))
		gauge(c.errorsReset, secondsTo(e.Reset))
		gauge(c.errorsBlocked, secondsTo(e.BlockedUntil))
	}
	gauge(c.routesBlocked, float64(len(b.Blocked)))
	for _, g := range b.Groups {
		gauge(c.bucketRemaining, float64(g.Remaining), g.Group)
		gauge(c.bucketMax, float64(g.Max), g.Group)
		gauge(c.bucketsBlocked, float64(g.Blocked), g.Group)
	}
}

var _ prometheus.Collector = (*BudgetCollector)(nil)
