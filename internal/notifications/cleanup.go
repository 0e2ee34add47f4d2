package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// DeleteOld deletes the notifications older than the setting
// notifications.max_age_days, read or not, and tells how many; 0 days
// keeps them all.
func (s *Store) DeleteOld(ctx context.Context) (int64, error) {
	values, err := s.settings.Values(ctx)
	if err != nil {
		return 0, err
	}
	days := values.Int(SettingMaxAgeDays)
	if days <= 0 {
		return 0, nil
	}
	n, err := s.db.Exec(ctx, `DELETE FROM notifications WHERE created_at < $1`, s.now().AddDate(0, 0, -days))
	if err != nil {
		return 0, fmt.Errorf("notifications: delete old: %w", err)
	}
	return n, nil
}

// cleanupEvery is how often old notifications are deleted: their age is
// counted in days.
const cleanupEvery = 24 * time.Hour

// CleanupArgs is the daily job that deletes old notifications.
type CleanupArgs struct{}

// Kind names the job.
func (CleanupArgs) Kind() string { return "notifications_cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	store  *Store
	logger *slog.Logger
}

func (w *cleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	n, err := w.store.DeleteOld(ctx)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if n == 0 {
		level = slog.LevelDebug // nothing happened
	}
	w.logger.Log(ctx, level, "old notifications deleted", "notifications", n)
	return nil
}

// Register adds the cleanup of old notifications to reg, scheduled daily.
func Register(reg *jobs.Registry, st *Store, logger *slog.Logger) {
	jobs.Add(reg, &cleanupWorker{store: st, logger: logger})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return CleanupArgs{} }, Every: cleanupEvery, Priority: 4,
		Summary: "Delete the notifications older than the setting notifications.max_age_days (90 days unless changed).",
		Label:   "notifications.job.cleanup", Help: "notifications.job.cleanup_help"})
}
