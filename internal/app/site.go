package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/apidocs"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/signin"
	"github.com/keepstar/keepstar/internal/sitesettings"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/tokencheck"
	"github.com/keepstar/keepstar/internal/version"
	"github.com/keepstar/keepstar/internal/web"
)

// parts are the services of a Keepstar process, built once from the
// configuration and shared by the web server and the job workers.
type parts struct {
	db            *store.DB
	settings      *settings.Store
	sessions      *sessions.Manager
	tokens        *tokens.Store
	logins        *logins.Store
	notifications *notifications.Store
	accounts      *accounts.Accounts
	directory     *affiliations.Directory
	esi           *esi.Client
	esiMetrics    *esi.Metrics
	// appRequests counts the Application API's requests per app and hour;
	// appRateLimits counts for the per-app rate limit, rateLimited the
	// requests over a limit.
	appRequests   *appapi.RequestCounts
	appRateLimits ratelimit.Counter
	rateLimited   *ratelimit.Metrics
	sso           *sso.Client    // nil without an EVE application
	tokenSource   *tokens.Source // nil without an EVE application
	tokenCheck    *tokencheck.Checker
	permissions   *access.Catalogue
	recomputer    *access.Recomputer
	groups        *groups.Store
	states        *states.Store
	apps          *appapi.Store
	// queue takes the jobs features insert; it is set once the queue is
	// built, which needs the workers, which need the parts.
	queue *queueRef
	// registry and jobsUI (River UI) are set once the queue is built, for
	// the operations page.
	registry *jobs.Registry
	jobsUI   http.Handler
}

// queueRef is the job queue, known after the parts are built.
type queueRef struct{ q *jobs.Queue }

func (r *queueRef) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if r.q == nil {
		return nil, errors.New("app: the job queue is not ready")
	}
	return r.q.InsertTx(ctx, tx, args, opts)
}

// build makes the parts over an open, migrated database.
func build(cfg *config.Config, db *store.DB, logger *slog.Logger, firstSuperuser bool) (*parts, error) {
	p := &parts{db: db, queue: &queueRef{}, esiMetrics: esi.NewMetrics()}
	reg := settings.NewRegistry(web.SiteSettings(cfg.SiteName), accounts.Settings, notifications.Settings, groups.Settings, access.Settings, tokencheck.Settings, appapi.RateLimitSettings)
	p.settings = settings.NewStore(db, reg, nil, 0)
	p.sessions = sessions.NewManager(sessions.NewStore(db), sessions.Options{Lifetime: cfg.SessionLifetime,
		IdleTimeout: cfg.SessionIdleTimeout, Secure: cfg.SecureCookies(), Logger: logger})
	box, err := secrets.New(cfg.SecretKey, tokens.SecretPurpose)
	if err != nil {
		return nil, err
	}
	p.tokens = tokens.NewStore(db, box, nil)
	p.logins = logins.NewStore(db, nil)
	p.notifications = notifications.NewStore(db, p.settings, nil)
	// Both EVE services learn who calls: CCP asks every application to name
	// itself and a way to reach its maker.
	userAgent := "Keepstar/" + version.String() + " (+" + cfg.BaseURL.String() + ")"
	if cfg.EVELoginEnabled() {
		p.sso, err = sso.New(sso.Config{BaseURL: cfg.EVESSOURL.String(), ClientID: cfg.EVEClientID,
			ClientSecret: cfg.EVEClientSecret, RedirectURL: cfg.EVECallbackURL.String(), UserAgent: userAgent})
		if err != nil {
			return nil, err
		}
	}
	var source esi.TokenSource
	// The token check refreshes through the Source the ESI client uses, so
	// that both share its lock per token within the process.
	checkDeps := tokencheck.Deps{DB: db, Tokens: p.tokens, Logins: p.logins, Settings: p.settings, Logger: logger,
		Notifier: p.notifications}
	if p.sso != nil {
		s := tokens.NewSource(p.tokens, p.sso, tokens.SourceOptions{})
		source, checkDeps.Source, p.tokenSource = s, s, s
	}
	// Cached answers of authenticated calls are a character's data: sealed
	// like its tokens, under a key of their own.
	esiBox, err := secrets.New(cfg.SecretKey, esi.SecretPurpose)
	if err != nil {
		return nil, err
	}
	p.esi, err = esi.New(esi.Config{
		BaseURL: cfg.ESIURL.String(), UserAgent: userAgent,
		Cache: esi.NewCache(db, 0).SealWith(esiBox), Gate: esi.NewGate(db, esi.GateOptions{}), Tokens: source, ClientID: cfg.EVEClientID,
		Logger: logger, Metrics: p.esiMetrics,
	})
	if err != nil {
		return nil, err
	}
	p.directory = affiliations.New(db, p.esi, nil, 0)
	p.permissions = access.NewCatalogue(access.Permissions)
	p.recomputer = access.NewRecomputer(db, p.settings, nil)
	access.WatchSettings(p.settings, p.queue)
	p.apps = appapi.NewStore(db, cfg.SecretKey, nil)
	p.groups = groups.New(db, groups.Options{Recomputer: p.recomputer, Queue: p.queue, Catalogue: p.permissions,
		Notifier: p.notifications, Settings: p.settings, Checks: []groups.Check{p.apps.CheckGroup}})
	p.states = states.New(db, p.queue, p.permissions, nil)
	p.appRequests, p.appRateLimits, p.rateLimited = appapi.NewRequestCounts(db, nil), ratelimit.ForDatabase(db), ratelimit.NewMetrics()
	p.accounts = accounts.New(db, accounts.Options{
		Tokens: p.tokens, Notifier: p.notifications,
		Mergers:        []accounts.Merger{access.MergeAccounts, p.notifications.MergeAccounts, p.groups.MergeAccounts, p.apps.MergeAccounts},
		StatusHooks:    []func(context.Context, store.Querier, int64) error{p.groups.ClearAccount},
		FirstSuperuser: firstSuperuser,
		// What an account is and may do follows every change of it at
		// once; the scheduled recomputation mends what a failure here
		// leaves.
		Changed: func(ctx context.Context, ids []int64) {
			if _, err := p.recomputer.Accounts(ctx, ids); err != nil {
				logger.ErrorContext(ctx, "recompute access after a change", "accounts", ids, "error", err)
			}
		},
	})
	checkDeps.Roles, checkDeps.Accounts, checkDeps.Affiliations, checkDeps.Recomputer = p.esi, p.accounts, p.directory, p.recomputer
	p.tokenCheck = tokencheck.New(checkDeps)
	return p, nil
}

// webServer builds the web server with every feature's pages mounted.
func (p *parts) webServer(cfg *config.Config, logger *slog.Logger, metrics *prometheus.Registry, ready func(context.Context) error) (*web.Server, error) {
	catalogue, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	webDeps := web.Deps{
		Config: cfg, Logger: logger, Version: version.String(), Ready: ready, Metrics: metrics, Registerer: metrics,
		Sessions: p.sessions,
		Viewers:  p.accounts, I18n: catalogue, Settings: p.settings, RateLimited: p.rateLimited,
	}
	if p.db.Dialect() == config.Postgres {
		// Several processes may serve: the per-address limit counts
		// across them, as the per-app limit does (SQLite's one process
		// counts in its memory).
		webDeps.AddressCounts = p.appRateLimits
	}
	srv, err := web.New(webDeps)
	if err != nil {
		return nil, err
	}
	deps := signin.Deps{DB: p.db, Accounts: p.accounts, Logins: p.logins, Tokens: p.tokens, Directory: p.directory,
		Roles: p.esi, Settings: p.settings, Logger: logger, Now: time.Now,
		Sessions: signin.SessionTimes{Lifetime: cfg.SessionLifetime, IdleTimeout: cfg.SessionIdleTimeout}}
	if p.sso != nil {
		deps.SSO = p.sso
	}
	if deps.Pending, err = secrets.New(cfg.SecretKey, signin.PendingPurpose); err != nil {
		return nil, err
	}
	if _, err := signin.Mount(srv, deps); err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	if err := p.accounts.Mount(srv, accounts.PageDeps{DB: p.db, Tokens: p.tokens, Logins: p.logins,
		Settings: p.settings, I18n: catalogue, Permissions: p.permissions}); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	if err := p.notifications.Mount(srv); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	if err := p.logins.Mount(srv); err != nil {
		return nil, fmt.Errorf("eve logins: %w", err)
	}
	if err := sitesettings.Mount(srv, p.settings); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	if err := p.groups.Mount(srv, groups.PageDeps{Characters: p.accounts}); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	if err := p.groups.MountAdmin(srv, groups.AdminDeps{States: p.states, Characters: p.accounts}); err != nil {
		return nil, fmt.Errorf("groups administration: %w", err)
	}
	if err := p.states.Mount(srv); err != nil {
		return nil, fmt.Errorf("states: %w", err)
	}
	if err := access.MountAdmin(srv, access.AdminDeps{DB: p.db, Catalogue: p.permissions, Queue: p.queue}); err != nil {
		return nil, fmt.Errorf("permissions: %w", err)
	}
	appsDeps := appapi.APIDeps{DB: p.db, Apps: p.apps, Logger: logger, Requests: p.appRequests, Settings: p.settings,
		RateLimits: p.appRateLimits, RateLimited: p.rateLimited, ESI: p.esi, TokenRows: p.tokens,
		AuthFailures: ratelimit.Limit{Max: int64(cfg.AppAuthFailuresMax), Window: cfg.AppAuthFailuresWindow}}
	if p.tokenSource != nil {
		appsDeps.Tokens = p.tokenSource
	}
	appapi.NewAPI(appsDeps).Mount(srv)
	if err := apidocs.Mount(srv); err != nil {
		return nil, fmt.Errorf("API documents: %w", err)
	}
	if err := p.apps.MountPages(srv, appapi.PageDeps{DB: p.db, Characters: p.accounts, BaseURL: cfg.BaseURL.String()}); err != nil {
		return nil, fmt.Errorf("apps: %w", err)
	}
	if err := operations.Mount(srv, operations.Deps{DB: p.db, Schedules: p.registry, Runner: p.queue.q, JobsUI: p.jobsUI,
		Version: version.String()}); err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	return srv, nil
}

var _ http.Handler = (*web.Server)(nil)
