package affiliations

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/jobs"
)

// SyncArgs is the job that looks up the affiliations of every character
// Keepstar knows and applies what changed.
type SyncArgs struct{}

// Kind names the job.
func (SyncArgs) Kind() string { return "affiliations_sync" }

// Applier records affiliations on the characters (*accounts.Accounts): it
// moves characters between corporations, removes the biomassed, and has
// the access of the accounts concerned computed again.
type Applier interface {
	ApplyAffiliations(ctx context.Context, affs []esi.Affiliation) ([]int32, error)
}

// Sync looks up every character's affiliation and applies it.
func (d *Directory) Sync(ctx context.Context, apply Applier) (int, error) {
	var ids []int32
	rows, err := d.db.Query(ctx, `SELECT id FROM characters ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("affiliations: characters: %w", err)
	}
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("affiliations: characters: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("affiliations: characters: %w", err)
	}
	affs, err := d.Lookup(ctx, ids)
	if err != nil {
		return 0, err
	}
	if _, err := apply.ApplyAffiliations(ctx, affs); err != nil {
		return 0, err
	}
	return len(affs), nil
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	dir    *Directory
	apply  Applier
	logger *slog.Logger
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	started := time.Now()
	n, err := w.dir.Sync(ctx, w.apply)
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "affiliations synced", "characters", n, "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// Register adds the job, scheduled every interval.
func Register(reg *jobs.Registry, dir *Directory, apply Applier, every time.Duration, logger *slog.Logger) {
	jobs.Add(reg, &syncWorker{dir: dir, apply: apply, logger: logger})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return SyncArgs{} }, Every: every, Update: 10,
		Summary: "Look up every character's corporation and alliance, move the characters that changed and recompute their accounts."})
}
