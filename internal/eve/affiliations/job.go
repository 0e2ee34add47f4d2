package affiliations

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// SyncArgs is the job that looks up the affiliations of every character
// Keepstar knows and applies what changed.
type SyncArgs struct{}

// Kind names the job.
func (SyncArgs) Kind() string { return "affiliations_sync" }

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	dir    *Directory
	apply  Applier
	chunk  int
	logger *slog.Logger
}

// Work runs a sync, resuming where an earlier attempt of the same job left
// off. The last character id of every chunk applied is kept as River's
// resumable cursor, which River stores in the job's row when the attempt
// ends in a snooze (ESI's limits), an error or a shutdown; the next attempt
// starts after it, so the chunks applied are not looked up again. A new
// run (the next hour's) starts from the first character.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	started := time.Now()
	// River keeps a cursor only once a step before it has completed: this
	// first step marks the run as begun.
	river.ResumableStep(ctx, "begin", nil, func(context.Context) error { return nil })
	var res SyncResult
	var err error
	var from int32
	river.ResumableStepCursor(ctx, "characters", nil, func(ctx context.Context, after int32) error {
		from = after
		res, err = w.dir.Sync(ctx, w.apply, SyncOptions{Chunk: w.chunk, After: after, Applied: func(done, total int64, last int32) {
			jobs.Progress(ctx, done, total)
			if err := river.ResumableSetCursor(ctx, last); err != nil {
				// A run interrupted later would start over: more calls, no harm.
				w.logger.WarnContext(ctx, "affiliations: cannot keep where the sync is", "error", err)
			}
		}})
		return err
	})
	if err != nil {
		// Returned as is: an *esi.LimitedError in its chain snoozes the job,
		// anything else fails the attempt for River to retry.
		return err
	}
	if res.Unknown > 0 {
		w.logger.WarnContext(ctx, "affiliations: ESI refuses these ids as no character; they keep their last known "+
			"affiliation and are listed on the operations page", "count", res.Unknown, "ids", res.UnknownIDs)
	}
	// A pass that changed nothing is the usual case, every few minutes:
	// logged at debug, so the info lines are the passes that did something.
	level := slog.LevelDebug
	if res.Removed+res.Unknown+res.Known+res.Renamed > 0 {
		level = slog.LevelInfo
	}
	w.logger.Log(ctx, level, "affiliations synced", "characters", res.Characters, "resumed_after", from,
		"removed", res.Removed, "corporations_read", res.Corporations, "alliances_read", res.Alliances,
		"unknown", res.Unknown, "known_again", res.Known, "names_checked", res.NamesChecked, "renamed", res.Renamed,
		"took", time.Since(started).Round(time.Millisecond))
	return nil
}

// Register adds the job, scheduled every interval.
func Register(reg *jobs.Registry, dir *Directory, apply Applier, every time.Duration, logger *slog.Logger) {
	register(reg, dir, apply, every, DefaultChunk, logger)
}

func register(reg *jobs.Registry, dir *Directory, apply Applier, every time.Duration, chunk int, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	jobs.Add(reg, &syncWorker{dir: dir, apply: apply, chunk: chunk, logger: logger})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return SyncArgs{} }, Every: every, Update: 10,
		Summary: "Look up every character's corporation and alliance, move the characters that changed and recompute their accounts; keep names current.",
		Label:   "affiliations.job.sync", Help: "affiliations.job.sync_help"})
}
