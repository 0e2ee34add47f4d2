package access

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
)

// RecomputeArgs is the job that recomputes accounts: every account, or
// those listed. A full recomputation is skipped when the rules did not
// change since the last one started, unless Force (the scheduled one, for
// what time changes: deactivation delays).
type RecomputeArgs struct {
	Accounts []int64 `json:"accounts,omitempty"`
	Force    bool    `json:"force,omitempty"`
}

// Kind names the job.
func (RecomputeArgs) Kind() string { return "access_recompute" }

// Inserter puts jobs in the queue in the caller's transaction (*jobs.Queue).
type Inserter interface {
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// RecomputeAllLater records a change of the rules and queues a
// recomputation of every account, in tx: the change of a state, a group
// rule or an autogroup configuration needs one. Many changes in a row queue
// many jobs, but only the first to start after the last change does the
// work (see RecomputeArgs): River's unique jobs cannot express "one
// waiting, one running".
func RecomputeAllLater(ctx context.Context, tx *store.Tx, q Inserter) error {
	if _, err := tx.Exec(ctx, `UPDATE access_versions SET value = value + 1 WHERE name = 'config'`); err != nil {
		return fmt.Errorf("access: record a change of the rules: %w", err)
	}
	_, err := q.InsertTx(ctx, tx, RecomputeArgs{}, nil)
	return err
}

// RecomputeLater queues a recomputation of some accounts in tx.
func RecomputeLater(ctx context.Context, tx *store.Tx, q Inserter, accounts []int64) error {
	if len(accounts) == 0 {
		return nil
	}
	_, err := q.InsertTx(ctx, tx, RecomputeArgs{Accounts: accounts}, nil)
	return err
}

type recomputeWorker struct {
	river.WorkerDefaults[RecomputeArgs]
	r      *Recomputer
	logger *slog.Logger
}

func (w *recomputeWorker) Work(ctx context.Context, job *river.Job[RecomputeArgs]) error {
	var stats Stats
	var err error
	if len(job.Args.Accounts) == 0 {
		var skipped bool
		stats, skipped, err = w.r.allIfChanged(ctx, job.Args.Force)
		if skipped || err != nil {
			return err
		}
	} else {
		stats, err = w.r.Accounts(ctx, job.Args.Accounts)
	}
	if err != nil {
		return err
	}
	for _, p := range stats.Problems {
		w.logger.WarnContext(ctx, "access rules have a problem", "problem", p)
	}
	// Most recomputations change nothing (a login, a check that found all
	// in order): logged at debug, so the info lines are the changes.
	level := slog.LevelDebug
	if stats.StateChanges+stats.GroupsAdded+stats.GroupsRemoved+stats.RolesRemoved+stats.Deactivations+
		stats.AutogroupsMade+stats.AutogroupsGone > 0 {
		level = slog.LevelInfo
	}
	w.logger.Log(ctx, level, "access recomputed", "accounts", stats.Accounts, "state_changes", stats.StateChanges,
		"groups_added", stats.GroupsAdded, "groups_removed", stats.GroupsRemoved, "roles_removed", stats.RolesRemoved,
		"took", stats.Took)
	return nil
}

// Register adds the recomputation job.
func Register(reg *jobs.Registry, r *Recomputer, logger *slog.Logger) {
	jobs.Add(reg, &recomputeWorker{r: r, logger: logger})
}
