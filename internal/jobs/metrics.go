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
	db     *store.DB
	logger *slog.Logger
	desc   *prometheus.Desc
}

// NewCollector gives a collector over db's queue.
func NewCollector(db *store.DB, logger *slog.Logger) *Collector {
	return &Collector{
		db:     db,
		logger: logger,
		desc: prometheus.NewDesc("keepstar_jobs", "Background jobs in the queue table, by kind and state.",
			[]string{"kind", "state"}, nil),
	}
}

func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

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
}

// KindStateCount is the number of jobs of one kind in one state.
type KindStateCount struct {
	Kind  string
	State string
	Count int64
}

// Counts gives the number of jobs per kind and state.
func Counts(ctx context.Context, db store.Querier) ([]KindStateCount, error) {
	rows, err := db.Query(ctx, "SELECT kind, state, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KindStateCount
	for rows.Next() {
		var k KindStateCount
		if err := rows.Scan(&k.Kind, &k.State, &k.Count); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
