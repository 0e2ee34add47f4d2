package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/version"
	"github.com/keepstar/keepstar/internal/web"
)

// Mode says which parts a serve process runs.
type Mode string

const (
	// All runs the web server, job workers and schedules: one process does
	// everything, the usual set-up.
	All Mode = "all"
	// WebOnly serves HTTP and only inserts jobs, for scaling the web tier.
	WebOnly Mode = "web"
	// WorkerOnly works jobs and runs schedules, serving no HTTP.
	WorkerOnly Mode = "worker"
)

// ParseMode reads a -mode flag.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case All, WebOnly, WorkerOnly:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want all, web or worker", s)
}

func (m Mode) web() bool     { return m != WorkerOnly }
func (m Mode) workers() bool { return m != WebOnly }

// Options tune Run beyond the configuration.
type Options struct {
	Mode Mode
	// Listener, when set, is served instead of opening cfg.Listen (the demo
	// picks a free port this way; tests listen on port 0).
	Listener net.Listener
	// MetricsListener, when set and cfg.MetricsListen is, is served instead
	// of opening cfg.MetricsListen (tests listen on port 0).
	MetricsListener net.Listener
	// OnReady is called once everything is started, with the site's URL
	// (empty in worker mode).
	OnReady func(url string)
	// FirstSuperuser makes the first account superuser (the demo).
	FirstSuperuser bool
	// OnWeb, when set, is given the web server once its routes are
	// mounted (tests list them).
	OnWeb func(*web.Server)
	// OnQueue, when set, is given the job queue once it is built (tests
	// run jobs).
	OnQueue func(*jobs.Queue)
	// RunMetrics, when set, counts this process's job runs instead of
	// counters of its own (tests of several processes tell which did what).
	RunMetrics *jobs.RunMetrics
	// Features are built after every other feature, as the plugins are
	// (tests add a feature of their own this way).
	Features []Constructor
	// ServiceTypes are connector types added to the shipped ones (tests
	// add a connector of their own this way).
	ServiceTypes []services.TypeConstructor
	// ScheduleTick, when set, is how often the leader looks for scheduled
	// jobs that are due, instead of every minute: tests run schedules
	// shorter than the configuration allows.
	ScheduleTick time.Duration
	// Prepare, when set, runs once the core and the job queue are built,
	// before anything is served or worked: the demo seeds its states and
	// groups through the core's stores, so that their rules apply.
	Prepare func(ctx context.Context, c *core.Core) error
	// Hints, when set, gives the notes pages show among their flash
	// messages (the demo's guide).
	Hints func(r *http.Request) []web.Hint
	// PseudoLanguage, for tests only, adds the pseudo-language en-XA to
	// the site's languages: every message marked, so that a test finds
	// the texts a page shows without the catalogue (internal/i18n,
	// WithPseudo). A site run by keepstar never sets it.
	PseudoLanguage bool
}

// Migrate brings the database to the schema this binary needs: the job
// queue's tables and Keepstar's own. Processes starting together take turns.
func Migrate(ctx context.Context, db *store.DB, logger *slog.Logger) error {
	return db.MigrationLock(ctx, func() error {
		n, err := jobs.Migrate(ctx, db, logger)
		if err != nil {
			return err
		}
		m, err := db.MigrateSchema(ctx, logger)
		if err != nil {
			return err
		}
		if n+m > 0 {
			logger.InfoContext(ctx, "database migrated", "job_queue_migrations", n, "schema_migrations", m)
		}
		return nil
	})
}

// Empty reports whether db is reachable and nothing was ever migrated into
// it: a new database, which Run migrates when it starts.
func Empty(ctx context.Context, db *store.DB) bool {
	if db.Ping(ctx) != nil {
		return false
	}
	current, _, err := db.SchemaVersions(ctx)
	if err != nil || current != 0 {
		return false
	}
	pending, err := jobs.Pending(ctx, db)
	return err == nil && len(pending) > 0
}

// Problems lists what keeps db from serving this binary: unreachable,
// migrations pending, or migrated by a newer Keepstar. Empty means ready.
func Problems(ctx context.Context, db *store.DB) []string {
	if err := db.Ping(ctx); err != nil {
		return []string{fmt.Sprintf("database unreachable: %v", err)}
	}
	var problems []string
	current, target, err := db.SchemaVersions(ctx)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("cannot read the schema version: %v", err))
	case current < target:
		problems = append(problems, fmt.Sprintf("schema at version %d, this Keepstar needs %d: run `keepstar migrate`", current, target))
	case current > target:
		problems = append(problems, fmt.Sprintf("schema at version %d is newer than this Keepstar knows (%d): upgrade the binary", current, target))
	}
	pending, err := jobs.Pending(ctx, db)
	if err != nil {
		problems = append(problems, fmt.Sprintf("cannot read the job queue's migrations: %v", err))
	}
	for _, p := range pending {
		problems = append(problems, "job queue: "+p+": run `keepstar migrate`")
	}
	return problems
}

// Run starts Keepstar as configured and serves until ctx is cancelled, then
// shuts down in order: stop taking requests, let running jobs finish (up to
// the shutdown timeout), close the database.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts Options) error {
	started := time.Now()
	if opts.Mode == "" {
		opts.Mode = All
	}
	if opts.Mode != All && cfg.Database.Dialect != config.Postgres {
		return fmt.Errorf("mode %s splits the work across processes sharing one database, which needs PostgreSQL (KEEPSTAR_DATABASE_URL=postgres://...)", opts.Mode)
	}
	logger.InfoContext(ctx, "starting keepstar", "version", version.String(), "mode", opts.Mode, "database", cfg.Database.String())
	if !cfg.EVELoginEnabled() {
		logger.WarnContext(ctx, "EVE login is off: KEEPSTAR_EVE_CLIENT_ID and KEEPSTAR_EVE_CLIENT_SECRET are not set")
	}

	db, err := store.Open(ctx, cfg.Database, cfg.DatabaseMaxConns)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := Migrate(ctx, db, logger); err != nil {
		return err
	}

	p, err := build(cfg, db, logger, buildOptions{firstSuperuser: opts.FirstSuperuser, features: opts.Features, serviceTypes: opts.ServiceTypes,
		pseudoLanguage: opts.PseudoLanguage})
	if err != nil {
		return err
	}
	workers := 0
	if opts.Mode.workers() {
		workers = cfg.JobWorkers
	}
	runMetrics := opts.RunMetrics
	if runMetrics == nil {
		runMetrics = jobs.NewRunMetrics()
	}
	queue, err := jobs.New(ctx, db, p.jobs, jobs.Options{
		Workers: workers, JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobRescueAfter, Retention: cfg.JobRetention,
		ScheduleTick: opts.ScheduleTick, Metrics: runMetrics, Logger: logger,
	})
	if err != nil {
		return err
	}
	p.Queue.Q = queue
	if opts.OnQueue != nil {
		opts.OnQueue(queue)
	}
	if opts.Prepare != nil {
		if err := opts.Prepare(ctx, p.Core); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	p.hints = opts.Hints

	var ln net.Listener
	if opts.Mode.web() {
		ln = opts.Listener
		if ln == nil {
			if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
				return fmt.Errorf("KEEPSTAR_LISTEN %s: %w", cfg.Listen, err)
			}
		}
		defer ln.Close()
	}
	// The metrics listener, when configured, serves /metrics in every
	// mode: a worker's job runs and ESI calls are counted there too.
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		metricsLn = opts.MetricsListener
		if metricsLn == nil {
			if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
				return fmt.Errorf("KEEPSTAR_METRICS_LISTEN %s: %w", cfg.MetricsListen, err)
			}
		}
		defer metricsLn.Close()
	}

	if workers > 0 {
		// The queue outlives ctx: on a signal it is stopped in order below,
		// letting running jobs finish, instead of being cut off.
		if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}

	runCtx, stopWeb := context.WithCancel(ctx)
	defer stopWeb()
	// The features' own long-running work stops with the web server.
	var featureRuns sync.WaitGroup
	for _, f := range p.features.All() {
		if f.Run != nil {
			featureRuns.Go(func() { f.Run(runCtx) })
		}
	}
	// webDone stays nil in worker mode, where only ctx ends the run, and
	// so does statsDone, closed when the Application API's statistics are
	// no longer flushed every few seconds.
	var webDone chan error
	var statsDone chan struct{}
	url := ""
	var metrics *prometheus.Registry
	if ln != nil || metricsLn != nil {
		metrics = metricsRegistry(db, logger)
		metrics.MustRegister(runMetrics.Collectors()...)
		metrics.MustRegister(p.rateLimited.Collectors()...)
		for _, f := range p.features.All() {
			metrics.MustRegister(f.Metrics...)
		}
	}
	var metricsDone chan error
	if metricsLn != nil {
		metricsDone = make(chan error, 1)
		go func() {
			metricsDone <- web.NewMetricsListener(metrics, cfg.MetricsToken, logger).Serve(runCtx, metricsLn, cfg.ShutdownTimeout)
		}()
	}
	if ln != nil {
		webDone = make(chan error, 1)
		statsDone = make(chan struct{})
		go func() {
			defer close(statsDone)
			p.appRequests.Run(runCtx, appapi.FlushEvery, logger)
		}()
		jobsUI, err := queue.UIHandler(operations.UIPath, logger)
		if err != nil {
			return err
		}
		// River UI's services (counts of jobs by state, refreshed every
		// few seconds) run as long as the web server.
		if err := jobsUI.Start(runCtx); err != nil {
			return fmt.Errorf("River UI: %w", err)
		}
		p.jobsUI.h = jobsUI
		srv, err := p.webServer(metrics, func(ctx context.Context) error {
			if p := Problems(ctx, db); len(p) > 0 {
				return errors.New(p[0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if opts.OnWeb != nil {
			opts.OnWeb(srv)
		}
		go func() { webDone <- srv.Serve(runCtx, ln, cfg.ShutdownTimeout) }()
		url = cfg.BaseURL.String()
	}
	logger.InfoContext(ctx, "keepstar ready", "url", url, "listen", addr(ln), "metrics_listen", addr(metricsLn), "startup", time.Since(started).Round(time.Millisecond))
	if opts.OnReady != nil {
		opts.OnReady(url)
	}

	var webErr error
	select {
	case <-ctx.Done():
		if webDone != nil {
			webErr = <-webDone
		}
	case webErr = <-webDone:
		// The web server failed on its own; stop everything else too.
	case webErr = <-metricsDone:
		// So did the metrics listener.
		metricsDone = nil
	}
	logger.Info("shutting down")
	if metricsDone != nil {
		stopWeb()
		webErr = errors.Join(webErr, <-metricsDone)
	}
	if statsDone != nil {
		// No request is served any more: what was counted since the last
		// flush is stored now.
		stopWeb()
		<-statsDone
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := p.appRequests.Flush(flushCtx); err != nil {
			logger.Error("app request statistics lost", "error", err)
		}
		cancel()
	}
	stopWeb()
	featureRuns.Wait()
	if workers > 0 {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := queue.Stop(stopCtx); err != nil {
			webErr = errors.Join(webErr, err)
		}
	}
	logger.Info("stopped")
	return webErr
}

func addr(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// metricsRegistry gathers the process, Go runtime and job queue metrics;
// the features and the web server add their own.
func metricsRegistry(db *store.DB, logger *slog.Logger) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		jobs.NewCollector(db, logger),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "keepstar_build_info", Help: "Always 1; the labels tell the version and database engine.",
			ConstLabels: prometheus.Labels{"version": version.String(), "database": string(db.Dialect())},
		}, func() float64 { return 1 }),
	)
	return reg
}
