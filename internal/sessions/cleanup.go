package sessions

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// cleanupEvery is how often expired sessions are deleted. Expired rows are
// already invisible to Find, so the pace only bounds how large the table
// grows; an hour keeps each pass small.
const cleanupEvery = time.Hour

// cleanupArgs is the periodic job that deletes expired sessions.
type cleanupArgs struct{}

func (cleanupArgs) Kind() string { return "sessions_cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[cleanupArgs]
	store *Store
}

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[cleanupArgs]) error {
	_, err := w.store.DeleteExpired(ctx)
	return err
}

// Register adds the cleanup of expired sessions to reg: its worker, and a
// schedule running it every hour.
func Register(reg *jobs.Registry, st *Store) {
	jobs.Add(reg, &cleanupWorker{store: st})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return cleanupArgs{} }, Every: cleanupEvery, Priority: 4,
		Summary: "Delete expired sessions."})
}
