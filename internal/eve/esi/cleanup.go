package esi

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// CacheKeepExpired is how long an expired answer stays in the cache. An
// expired answer with an ETag is still worth its row: the next request
// revalidates it with If-None-Match, and ESI's 304 costs less of the rate
// limit than a full answer and carries no body. Everything Keepstar asks
// for at least daily (the hourly affiliations, daily jobs) comes back
// within a day of its expiry and keeps its row; what is left longer came
// from a one-off lookup (a character seen once at login) and would only
// grow the table.
const CacheKeepExpired = 24 * time.Hour

// cacheCleanupEvery is how often the cache is pruned: the rows of a day
// are few enough to delete in one pass.
const cacheCleanupEvery = 24 * time.Hour

// CacheCleanupArgs is the daily job that deletes the cached answers expired
// longer than CacheKeepExpired.
type CacheCleanupArgs struct{}

// Kind names the job.
func (CacheCleanupArgs) Kind() string { return "esi_cache_cleanup" }

type cacheCleanupWorker struct {
	river.WorkerDefaults[CacheCleanupArgs]
	cache  *Cache
	now    func() time.Time
	logger *slog.Logger
}

func (w *cacheCleanupWorker) Work(ctx context.Context, _ *river.Job[CacheCleanupArgs]) error {
	n, err := w.cache.DeleteExpired(ctx, w.now(), CacheKeepExpired)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if n == 0 {
		level = slog.LevelDebug // nothing happened
	}
	w.logger.Log(ctx, level, "expired ESI answers deleted", "rows", n)
	return nil
}

// RegisterCacheCleanup adds the cache's cleanup to reg, scheduled daily;
// now nil means time.Now.
func RegisterCacheCleanup(reg *jobs.Registry, cache *Cache, now func() time.Time, logger *slog.Logger) {
	if now == nil {
		now = time.Now
	}
	jobs.Add(reg, &cacheCleanupWorker{cache: cache, now: now, logger: logger})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return CacheCleanupArgs{} }, Every: cacheCleanupEvery, Priority: 4,
		Summary: "Delete the cached ESI answers that expired more than a day ago.",
		Label:   "esi.job.cache_cleanup", Help: "esi.job.cache_cleanup_help"})
}
