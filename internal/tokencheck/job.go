package tokencheck

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/jobs"
)

// Args is the token check job.
type Args struct {
	// All checks every valid token once: a run asked for by hand (`keepstar
	// jobs run tokens_check`, `keepstar update`). A scheduled run checks
	// the share of one tick.
	All bool `json:"all,omitempty"`
}

// Kind names the job.
func (Args) Kind() string { return "tokens_check" }

// Tick is the schedule's default interval.
const Tick = 10 * time.Minute

type worker struct {
	river.WorkerDefaults[Args]
	c *Checker
	// every gives the schedule's interval as configured
	// (KEEPSTAR_JOB_SCHEDULES), which sizes a scheduled run's share.
	every  func() time.Duration
	logger *slog.Logger
}

// Work checks the tokens of the run. The run's instant is when the job was
// queued, the same for every attempt: a retry, or a run asked for by hand
// that snoozes to go on after its time ran out, resumes with the tokens
// not checked yet instead of starting over.
func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	if w.c.d.Source == nil {
		w.logger.InfoContext(ctx, "tokens not checked: EVE login is off (no EVE application configured)")
		return nil
	}
	tick := w.every()
	if tick <= 0 {
		tick = Tick // the schedule is off; only a run by hand comes here
	}
	r, err := w.c.Check(ctx, Scope{All: job.Args.All, Since: job.CreatedAt, Tick: tick, StopAt: StopAt(ctx, time.Now())})
	attrs := append([]any{"all", job.Args.All}, r.LogAttrs()...)
	if err != nil {
		w.logger.WarnContext(ctx, "token check failed", append(attrs, "error", err)...)
		return err
	}
	// A run that found every token as it was is the usual case, every few
	// minutes: logged at debug, so the info lines are the changes.
	level := slog.LevelDebug
	if r.Changed() {
		level = slog.LevelInfo
	}
	w.logger.Log(ctx, level, "tokens checked", attrs...)
	if r.More && job.Args.All {
		// Out of time with tokens left: go on after a breath, as the same
		// job, without spending an attempt.
		return river.JobSnooze(time.Second)
	}
	return nil
}

// Register adds the job, scheduled every Tick (each tick checks its share;
// see Share), and checking every token when run by hand.
func Register(reg *jobs.Registry, c *Checker, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	jobs.Add(reg, &worker{c: c, logger: logger, every: func() time.Duration { return reg.Every(Args{}.Kind()) }})
	reg.Schedule(jobs.Periodic{
		Args: func() river.JobArgs { return Args{} }, Every: Tick, Priority: 2, Update: 20,
		OnDemand: func() river.JobArgs { return Args{All: true} },
		Summary: "Refresh each EVE token once per period (setting tokens.check_hours), a share every tick, all of them when run by hand: " +
			"refused tokens become invalid, sold or biomassed characters leave their accounts, in-game roles are recorded; " +
			"characters whose token stays invalid past tokens.lost_access_days leave theirs after two notices.",
		Label: "tokencheck.job.check", Help: "tokencheck.job.check_help",
	})
}
