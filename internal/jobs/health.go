package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Health is what the job system's records say of it: whether schedules are
// looked at, and which kinds of job fail or hang. The setup checklist reads
// it; the operations page shows the detail.
type Health struct {
	// Ticking: the scheduler looked for due jobs within the grace (a
	// process runs the schedules).
	Ticking bool
	// Overdue are the scheduled kinds whose next run is later than the
	// grace: no process queues them.
	Overdue []string
	// Failing are the kinds whose last run failed.
	Failing []string
	// Stuck are the kinds whose run started longer ago than the grace
	// allows a run and has not ended.
	Stuck []string
}

// OK reports whether the jobs run as they should.
func (h Health) OK() bool {
	return h.Ticking && len(h.Overdue) == 0 && len(h.Failing) == 0 && len(h.Stuck) == 0
}

// HealthGrace is how late the scheduler's look for due jobs (every minute
// by default) and a scheduled run may be before they count as not running.
const HealthGrace = 15 * time.Minute

// HealthStuckAfter is how long a run may last before it counts as stuck.
const HealthStuckAfter = 2 * time.Hour

// ReadHealth reads the job system's health at now.
func ReadHealth(ctx context.Context, q store.Querier, now time.Time) (Health, error) {
	var h Health
	// The scheduler's own job (jobs_schedule, on its queue) is not in
	// job_kinds: its finished runs in River's table tell it ticks.
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = $1 AND state = 'completed' AND finalized_at >= $2)`,
		scheduleArgs{}.Kind(), now.Add(-HealthGrace)).Scan(&h.Ticking); err != nil {
		return h, fmt.Errorf("jobs: health: %w", err)
	}
	statuses, err := Statuses(ctx, q)
	if err != nil {
		return h, err
	}
	for _, s := range statuses {
		if s.Every > 0 && s.NextRun != nil && s.NextRun.Before(now.Add(-HealthGrace)) {
			h.Overdue = append(h.Overdue, s.Kind)
		}
		if s.LastOutcome == OutcomeFailed {
			h.Failing = append(h.Failing, s.Kind)
		}
		if s.Running() && s.LastStarted.Before(now.Add(-HealthStuckAfter)) {
			h.Stuck = append(h.Stuck, s.Kind)
		}
	}
	return h, nil
}
