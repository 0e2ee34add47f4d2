package affiliations

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
)

// Feature is the affiliation sync: the hourly job that follows every
// character's corporation and alliance, and its metrics.
func (d *Directory) Feature(apply Applier, logger *slog.Logger) feature.Feature {
	return feature.Feature{
		Name:    "affiliations",
		Jobs:    func(reg *jobs.Registry) { Register(reg, d, apply, time.Hour, logger) },
		Metrics: []prometheus.Collector{NewCollector(d.db, logger)},
	}
}
