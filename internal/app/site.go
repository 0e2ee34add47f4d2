package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/setup"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/version"
	"github.com/keepstar/keepstar/internal/web"
)

// parts are a process's core services and what the composition root keeps
// beside them: the features, and the pieces the web server and Run share.
type parts struct {
	*core.Core
	// features are every feature of the process, in order; the settings
	// registry, permission catalogue and hooks were filled from them.
	features *feature.Set
	// jobs holds every feature's workers and schedules.
	jobs       *jobs.Registry
	esiMetrics *esi.Metrics
	// appRequests counts the Application API's requests per app and hour;
	// appRateLimits counts for the per-app rate limit, rateLimited the
	// requests over a limit.
	appRequests   *appapi.RequestCounts
	appRateLimits ratelimit.Counter
	rateLimited   *ratelimit.Metrics
	// jobsUI (River UI) is set once the queue is built, for the operations
	// page.
	jobsUI lateHandler
	// checklist is the setup checklist, its steps the features'.
	checklist *setup.Checklist
	// hints are the notes pages show (Options.Hints).
	hints func(*http.Request) []web.Hint
	// pseudoLanguage: buildOptions.pseudoLanguage.
	pseudoLanguage bool
	// extraConnectors are the connector types tests added, whose messages
	// the web server loads with the shipped ones'.
	extraConnectors []services.TypeConstructor
}

// lateHandler serves a handler known only after the routes are declared.
type lateHandler struct{ h http.Handler }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	l.h.ServeHTTP(w, r)
}

// buildOptions tune build beyond the configuration.
type buildOptions struct {
	// firstSuperuser makes the first account superuser (the demo).
	firstSuperuser bool
	// features are built after the others (Options.Features).
	features []Constructor
	// serviceTypes are added to the shipped connectors
	// (Options.ServiceTypes).
	serviceTypes []services.TypeConstructor
	// appRateLimits, when set, counts for the per-app rate limit instead
	// of the database's usual counter (benchmarks compare them).
	appRateLimits ratelimit.Counter
	// pseudoLanguage adds the test-only pseudo-language to the web
	// server's catalogue (Options.PseudoLanguage).
	pseudoLanguage bool
}

// build makes the core over an open, migrated database, then every
// feature over it (features.go), and fills the settings registry, the
// permission catalogue, the hooks and the job registry from them.
func build(cfg *config.Config, db *store.DB, logger *slog.Logger, opts buildOptions) (*parts, error) {
	c := &core.Core{Config: cfg, Logger: logger, DB: db, Queue: &core.Queue{}}
	p := &parts{Core: c, features: &feature.Set{}, esiMetrics: esi.NewMetrics(), jobs: jobs.NewRegistry(),
		checklist: setup.NewChecklist(logger), pseudoLanguage: opts.pseudoLanguage,
		extraConnectors: opts.serviceTypes}
	registry := settings.NewRegistry()
	c.Settings = settings.NewStore(db, registry, nil, 0)
	c.Sessions = sessions.NewManager(sessions.NewStore(db), sessions.Options{Lifetime: cfg.SessionLifetime,
		IdleTimeout: cfg.SessionIdleTimeout, Secure: cfg.SecureCookies(), Logger: logger})
	box, err := secrets.New(cfg.SecretKey, tokens.SecretPurpose)
	if err != nil {
		return nil, err
	}
	c.Tokens = tokens.NewStore(db, box, nil)
	c.Logins = logins.NewStore(db, nil)
	c.Notifications = notifications.NewStore(db, c.Settings, nil)
	// Both EVE services learn who calls: CCP asks every application to name
	// itself and a way to reach its maker.
	userAgent := "Keepstar/" + version.String() + " (+" + cfg.BaseURL.String() + ")"
	if cfg.EVELoginEnabled() {
		c.SSO, err = sso.New(sso.Config{BaseURL: cfg.EVESSOURL.String(), ClientID: cfg.EVEClientID,
			ClientSecret: cfg.EVEClientSecret, RedirectURL: cfg.EVECallbackURL.String(), UserAgent: userAgent})
		if err != nil {
			return nil, err
		}
	}
	var source esi.TokenSource
	if c.SSO != nil {
		c.TokenSource = tokens.NewSource(c.Tokens, c.SSO, tokens.SourceOptions{})
		source = c.TokenSource
	}
	// Cached answers of authenticated calls are a character's data: sealed
	// like its tokens, under a key of their own.
	esiBox, err := secrets.New(cfg.SecretKey, esi.SecretPurpose)
	if err != nil {
		return nil, err
	}
	c.ESI, err = esi.New(esi.Config{
		BaseURL: cfg.ESIURL.String(), UserAgent: userAgent,
		Cache: esi.NewCache(db, 0).SealWith(esiBox), Gate: esi.NewGate(db, esi.GateOptions{}), Tokens: source, ClientID: cfg.EVEClientID,
		Logger: logger, Metrics: p.esiMetrics,
	})
	if err != nil {
		return nil, err
	}
	c.Directory = affiliations.New(db, c.ESI, nil, 0)
	// Every change of what an account may have outside Keepstar is told
	// to the features (the services queue their syncs) in its own
	// transaction; the set is filled below, before anything is served.
	follow := p.features.AccountsChanged
	c.Directory.FollowWith(follow)
	c.Names = names.New(db, c.ESI, c.Directory, cfg.EVEImagesURL.String(), logger)
	c.Permissions = access.NewCatalogue()
	c.Roles = access.NewRoleSet()
	c.Recomputer = access.NewRecomputer(db, c.Settings, nil)
	c.Recomputer.FollowWith(follow)
	access.WatchSettings(c.Settings, c.Queue)
	// Groups and accounts ask every feature's hooks through the set,
	// which is filled below, before anything is served or worked.
	c.Groups = groups.New(db, groups.Options{Recomputer: c.Recomputer, Queue: c.Queue, Catalogue: c.Permissions,
		Notifier: c.Notifications, Settings: c.Settings, Checks: []groups.Check{p.features.CheckGroup}, Follower: follow})
	c.States = states.New(db, c.Queue, c.Permissions, nil)
	c.States.FollowWith(follow)
	c.Services, err = services.New(services.Options{DB: db, Queue: c.Queue, SecretKey: cfg.SecretKey, Types: serviceTypes(opts.serviceTypes),
		Logger: logger, Env: services.Env{Shared: db.Dialect() == config.Postgres, BaseURL: cfg.BaseURL.String()}})
	if err != nil {
		return nil, err
	}
	c.Permissions.AddFamily(c.Services.Family())
	p.appRequests, p.appRateLimits, p.rateLimited = appapi.NewRequestCounts(db, nil), opts.appRateLimits, ratelimit.NewMetrics()
	if p.appRateLimits == nil {
		p.appRateLimits = ratelimit.ForDatabase(db)
	}
	c.Accounts = accounts.New(db, accounts.Options{
		Tokens: c.Tokens, Notifier: c.Notifications, Roles: c.Roles,
		Mergers:        []accounts.Merger{p.features.MergeAccounts},
		StatusHooks:    []func(context.Context, store.Querier, int64) error{p.features.AccountStatusChanged},
		FirstSuperuser: opts.firstSuperuser,
		Follower:       follow,
		// What an account is and may do follows every change of it at
		// once; the scheduled recomputation mends what a failure here
		// leaves.
		Changed: func(ctx context.Context, ids []int64) {
			if _, err := c.Recomputer.Accounts(ctx, ids); err != nil {
				logger.ErrorContext(ctx, "recompute access after a change", "accounts", ids, "error", err)
			}
		},
	})
	fs, err := p.featureList(opts.features)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		p.features.Add(f)
		registry.Add(f.Settings...)
		c.Permissions.Add(f.Permissions...)
		p.checklist.Add(f.Setup...)
		c.Roles.Add(f.Roles...)
		c.Roles.AddFromData(f.RolesFromData)
		c.Logins.Offer(f.Logins...)
		if f.Jobs != nil {
			f.Jobs(p.jobs)
		}
	}
	if err := p.jobs.Override(cfg.JobSchedules); err != nil {
		return nil, err
	}
	return p, nil
}

// webServer builds the web server with every feature's routes and menu
// entries.
func (p *parts) webServer(metrics *prometheus.Registry, ready func(context.Context) error) (*web.Server, error) {
	// Only pages speak: a worker process loads no catalogue. The core's
	// catalogues come first, then those the plugins bring.
	catalogues := locales()
	for _, f := range p.features.All() {
		if f.Locales != nil {
			catalogues = append(catalogues, f.Locales)
		}
		catalogues = append(catalogues, f.Catalogues...)
	}
	for _, t := range p.extraConnectors {
		if l := t().Locales; l != nil {
			catalogues = append(catalogues, l)
		}
	}
	catalogue, err := i18n.Load(catalogues...)
	if err != nil {
		return nil, err
	}
	if p.pseudoLanguage {
		catalogue = catalogue.WithPseudo()
	}
	webDeps := web.Deps{
		Config: p.Config, Logger: p.Logger, Version: version.String(), Ready: ready, Metrics: metrics, Registerer: metrics,
		Sessions: p.Sessions,
		Viewers:  p.Accounts, I18n: catalogue, Settings: p.Settings, RateLimited: p.rateLimited, Hints: p.hints,
	}
	if p.DB.Dialect() == config.Postgres {
		// Several processes may serve: the per-address limit counts
		// across them, as the per-app limit does (SQLite's one process
		// counts in its memory).
		webDeps.AddressCounts = p.appRateLimits
	}
	srv, err := web.New(webDeps)
	if err != nil {
		return nil, err
	}
	for _, f := range p.features.All() {
		if f.Routes != nil {
			if err := f.Routes(srv); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		for _, m := range f.Menu {
			srv.AddMenu(m)
		}
	}
	return srv, nil
}

var _ http.Handler = (*web.Server)(nil)
