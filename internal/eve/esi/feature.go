package esi

import (
	"log/slog"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
)

// Feature is the ESI client's upkeep: the cleanup of its cache and the
// count of its requests.
func Feature(db *store.DB, metrics *Metrics, logger *slog.Logger) feature.Feature {
	return feature.Feature{
		Name:    "esi",
		Jobs:    func(reg *jobs.Registry) { RegisterCacheCleanup(reg, NewCache(db, 0), nil, logger) },
		Metrics: append(metrics.Collectors(), NewBudgetCollector(db, logger)),
	}
}
