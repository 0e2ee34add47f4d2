package affiliations

import (
	"log/slog"
	"time"

	"github.com/keepstar/keepstar/internal/jobs"
)

// RegisterChunked registers the job with chunks of the size given, so that
// tests see several chunks with a few hundred characters.
func RegisterChunked(reg *jobs.Registry, dir *Directory, apply Applier, every time.Duration, chunk int, logger *slog.Logger) {
	register(reg, dir, apply, every, chunk, logger)
}
