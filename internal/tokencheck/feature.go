package tokencheck

import (
	"log/slog"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
)

// Feature is the scheduled token check and its settings.
func (c *Checker) Feature(logger *slog.Logger) feature.Feature {
	return feature.Feature{
		Name:     "tokencheck",
		Settings: Settings,
		Jobs:     func(reg *jobs.Registry) { Register(reg, c, logger) },
	}
}
