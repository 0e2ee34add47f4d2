package sessions

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// cleanupEvery is how often ended sessions are deleted. Ended rows are
// already invisible to Find, so the pace only bounds how large the table
// grows; an hour keeps each pass small.
const cleanupEvery = time.Hour

// cleanupArgs is the periodic job that deletes ended sessions: past their
// lifetime or their idle timeout.
type cleanupArgs struct{}

func (cleanupArgs) Kind() string { return "sessions_cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[cleanupArgs]
	sessions *Manager
}

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[cleanupArgs]) error {
	_, err := w.sessions.DeleteEnded(ctx)
	return err
}

// Register adds the cleanup of ended sessions to reg: its worker, and a
// schedule running it every hour.
func Register(reg *jobs.Registry, m *Manager) {
	jobs.Add(reg, &cleanupWorker{sessions: m})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return cleanupArgs{} }, Every: cleanupEvery, Priority: 4,
		Summary: "Delete ended sessions.",
		Label:   "sessions.job.cleanup", Help: "sessions.job.cleanup_help"})
}
