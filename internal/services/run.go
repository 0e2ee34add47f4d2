package services

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// runEvery is how often the run loop looks at the instances and renews
// its leases; a lease lasts three times as long (leaseFor), so one late
// pass does not lose it, and a process that stopped without releasing it
// is replaced within that time.
const runEvery = 10 * time.Second

// minLease and minPass bound a lease's length and a pass's time from
// below, whatever the interval: a busy database (SQLite's one writer in a
// burst of syncs) may take a while to renew, and the work must not stop
// for that.
const (
	minLease = 5 * time.Second
	minPass  = 5 * time.Second
)

// runPause is how long a Runner that failed waits before it is run again.
const runPause = 5 * time.Second

// running is one instance's Runner at work in this process.
type running struct {
	updatedAt time.Time
	until     time.Time // the lease, as last taken or renewed
	cancel    context.CancelFunc
	done      chan struct{}
}

// Run keeps the Runners of the enabled instances running until ctx ends,
// each in one process at a time (a lease in service_instances): started
// when an instance is enabled, restarted when its settings change,
// stopped when it is disabled or deleted or the lease is lost. Every
// Keepstar process runs it; the lease decides which one does the work.
func (s *Services) Run(ctx context.Context) {
	s.RunEvery(ctx, runEvery)
}

// RunEvery is Run with the pass interval given (tests use a short one).
func (s *Services) RunEvery(ctx context.Context, every time.Duration) {
	r := &runLoop{s: s, holder: rand.Text(), every: every, running: map[int64]*running{}}
	defer r.stopAll()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type runLoop struct {
	s       *Services
	holder  string
	every   time.Duration
	running map[int64]*running
}

// pass starts, renews and stops the instances' Runners.
func (r *runLoop) pass(ctx context.Context) {
	passCtx, cancel := context.WithTimeout(ctx, max(r.every, minPass))
	defer cancel()
	list, err := r.s.inst.List(passCtx)
	if err != nil {
		r.s.logger.ErrorContext(ctx, "services: list instances to run", "error", err)
		return
	}
	seen := map[int64]bool{}
	for _, inst := range list {
		seen[inst.ID] = true
		cur := r.running[inst.ID]
		if cur != nil && (!inst.Enabled || !cur.updatedAt.Equal(inst.UpdatedAt)) {
			r.stop(ctx, inst.ID)
			cur = nil
		}
		if !inst.Enabled {
			continue
		}
		if cur == nil {
			conn, err := r.s.connector(passCtx, inst)
			if err != nil {
				r.s.logger.WarnContext(ctx, "services: open to run", "service", inst.Slug, "error", err)
				continue
			}
			runner, ok := conn.(Runner)
			if !ok {
				continue
			}
			until, held, err := r.lease(passCtx, inst.ID)
			if err != nil || !held {
				if err != nil {
					r.s.logger.ErrorContext(ctx, "services: run lease", "service", inst.Slug, "error", err)
				}
				continue
			}
			r.start(ctx, inst, runner, until)
			continue
		}
		until, held, err := r.lease(passCtx, inst.ID)
		switch {
		case err != nil && r.s.now().Before(cur.until):
			// Not renewed, not lost either: the work goes on while the
			// lease lasts, and the next pass tries again.
			r.s.logger.WarnContext(ctx, "services: run lease not renewed", "service", inst.Slug, "error", err)
		case err != nil || !held:
			r.s.logger.WarnContext(ctx, "services: run lease lost", "service", inst.Slug, "error", err)
			r.stop(ctx, inst.ID)
		default:
			cur.until = until
		}
	}
	for id := range r.running {
		if !seen[id] {
			r.stop(ctx, id)
		}
	}
}

// lease takes or renews the run lease of an instance: held by nobody, by
// this loop, or lapsed. It gives when the lease ends.
func (r *runLoop) lease(ctx context.Context, id int64) (time.Time, bool, error) {
	now := r.s.now()
	until := now.Add(max(3*r.every, minLease))
	n, err := r.s.db.Exec(ctx, `UPDATE service_instances SET run_holder = $1, run_until = $2
		WHERE id = $3 AND (run_holder IS NULL OR run_holder = $1 OR run_until < $4)`, r.holder, until, id, now)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("services: run lease: %w", err)
	}
	return until, n == 1, nil
}

// start runs a Runner until its context ends, again after a pause when it
// fails.
func (r *runLoop) start(ctx context.Context, inst Instance, runner Runner, until time.Time) {
	runCtx, cancel := context.WithCancel(ctx)
	cur := &running{updatedAt: inst.UpdatedAt, until: until, cancel: cancel, done: make(chan struct{})}
	r.running[inst.ID] = cur
	r.s.logger.InfoContext(ctx, "service running", "service", inst.Slug)
	go func() {
		defer close(cur.done)
		for {
			err := runner.Run(runCtx)
			if runCtx.Err() != nil {
				return
			}
			r.s.logger.ErrorContext(runCtx, "service run failed", "service", inst.Slug, "error", err)
			select {
			case <-runCtx.Done():
				return
			case <-time.After(runPause):
			}
		}
	}()
}

// stop ends an instance's Runner here and gives its lease up.
func (r *runLoop) stop(ctx context.Context, id int64) {
	cur := r.running[id]
	if cur == nil {
		return
	}
	cur.cancel()
	<-cur.done
	delete(r.running, id)
	// Released at once, so that another process need not wait for the
	// lease to lapse; a failure only delays that.
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := r.s.db.Exec(releaseCtx, `UPDATE service_instances SET run_holder = NULL, run_until = NULL
		WHERE id = $1 AND run_holder = $2`, id, r.holder); err != nil {
		r.s.logger.WarnContext(ctx, "services: release run lease", "instance", id, "error", err)
	}
}

func (r *runLoop) stopAll() {
	for id := range r.running {
		r.stop(context.Background(), id)
	}
}
