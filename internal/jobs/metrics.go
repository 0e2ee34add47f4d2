package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/store"
)

// Collector reports the number of jobs by kind and state, read from the queue
// table at each scrape, so every process reports the same shared truth.
type Collector struct {
	db          *store.DB
	logger      *slog.Logger
	desc        *prometheus.Desc
	lastSuccess *prometheus.Desc
	nextRun     *prometheus.Desc
	lastFailed  *prometheus.Desc
}

// NewCollector gives a collector over db's queue.
func NewCollector(db *store.DB, logger *slog.Logger) *Collector {
	return &Collector{
		db:     db,
		logger: logger,
		desc: prometheus.NewDesc("keepstar_jobs", "Background jobs in the queue table, by kind and state.",
			[]string{"kind", "state"}, nil),
		lastSuccess: prometheus.NewDesc("keepstar_job_last_success_timestamp_seconds",
			"When a run of the kind of job last completed (Unix time).", []string{"kind"}, nil),
		nextRun: prometheus.NewDesc("keepstar_job_next_run_timestamp_seconds",
			"When the schedule of the kind of job queues it next (Unix time).", []string{"kind"}, nil),
		lastFailed: prometheus.NewDesc("keepstar_job_last_run_failed",
			"1 when the last run of the kind of job failed or was cancelled, else 0.", []string{"kind"}, nil),
	}
}

func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.lastSuccess
	ch <- c.nextRun
	ch <- c.lastFailed
}

func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := Counts(ctx, c.db)
	if err != nil {
		c.logger.WarnContext(ctx, "job metrics unavailable", "error", err)
		return
	}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.Count), n.Kind, n.State)
	}
	statuses, err := Statuses(ctx, c.db)
	if err != nil {
		c.logger.WarnContext(ctx, "job metrics unavailable", "error", err)
		return
	}
	for _, s := range statuses {
		if s.LastSuccess != nil {
			ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, float64(s.LastSuccess.Unix()), s.Kind)
		}
		if s.NextRun != nil {
			ch <- prometheus.MustNewConstMetric(c.nextRun, prometheus.GaugeValue, float64(s.NextRun.Unix()), s.Kind)
		}
		failed := 0.0
		if s.LastOutcome == OutcomeFailed || s.LastOutcome == OutcomeCancelled {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(c.lastFailed, prometheus.GaugeValue, failed, s.Kind)
	}
}

// KindStateCount is the number of jobs of one kind in one state.
type KindStateCount struct {
	Kind  string
	State string
	Count int64
}

// Counts gives the number of jobs per kind and state.
func Counts(ctx context.Context, db store.Querier) ([]KindStateCount, error) {
	return store.Collect(ctx, db, "SELECT kind, state, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state", scanKindStateCount)
}

func scanKindStateCount(rows store.Rows, k *KindStateCount) error {
	return rows.Scan(&k.Kind, &k.State, &k.Count)
}
