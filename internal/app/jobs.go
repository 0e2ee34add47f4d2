package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
)

// Jobs is Keepstar's job machinery over a configured database, for the
// commands that look at or run jobs (`keepstar jobs`, `keepstar update`)
// beside, or instead of, a running server.
type Jobs struct {
	DB       *store.DB
	Registry *jobs.Registry
	Queue    *jobs.Queue
	// Services are the services framework over the database, for
	// `keepstar services`.
	Services *services.Services
	working  bool
}

// JobsOptions tune OpenJobs.
type JobsOptions struct {
	// Work makes this process also work queued jobs (whoever queued them)
	// until Close, but run no schedules: a server may be running them.
	Work bool
	// Features are built after every other feature, as the plugins are
	// (tests add a feature of their own this way).
	Features []Constructor
	// ServiceTypes are connector types added to the shipped ones (tests
	// add a connector of their own this way).
	ServiceTypes []services.TypeConstructor
}

// OpenJobs opens cfg's database, which must be migrated already, and
// builds every feature's jobs, those of the extra features too.
func OpenJobs(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts JobsOptions) (*Jobs, error) {
	db, err := store.Open(ctx, cfg.Database, cfg.DatabaseMaxConns)
	if err != nil {
		return nil, err
	}
	if problems := Problems(ctx, db); len(problems) > 0 {
		db.Close()
		return nil, errors.New(problems[0])
	}
	p, err := build(cfg, db, logger, buildOptions{features: opts.Features, serviceTypes: opts.ServiceTypes})
	if err != nil {
		db.Close()
		return nil, err
	}
	reg := p.jobs
	workers := 0
	if opts.Work {
		workers = cfg.JobWorkers
	}
	queue, err := jobs.New(ctx, db, reg, jobs.Options{Workers: workers, NoSchedules: true, JobTimeout: cfg.JobTimeout,
		RescueAfter: cfg.JobRescueAfter, Retention: cfg.JobRetention, Logger: logger})
	if err != nil {
		db.Close()
		return nil, err
	}
	p.Queue.Q = queue
	if opts.Work {
		if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
			db.Close()
			return nil, fmt.Errorf("start workers: %w", err)
		}
	}
	return &Jobs{DB: db, Registry: reg, Queue: queue, Services: p.Services, working: opts.Work}, nil
}

// Close lets running jobs finish until ctx ends, then closes the database.
func (j *Jobs) Close(ctx context.Context) error {
	var err error
	if j.working {
		err = j.Queue.Stop(ctx)
	}
	j.DB.Close()
	return err
}
