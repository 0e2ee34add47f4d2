package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/apidocs"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/apps/calendar"
	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/services/discourse"
	"github.com/keepstar/keepstar/internal/services/mumble"
	"github.com/keepstar/keepstar/internal/services/phpbb3"
	"github.com/keepstar/keepstar/internal/services/smf"
	"github.com/keepstar/keepstar/internal/services/teamspeak3"
	"github.com/keepstar/keepstar/internal/services/xenforo"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/setup"
	"github.com/keepstar/keepstar/internal/signin"
	"github.com/keepstar/keepstar/internal/sitesettings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/tokencheck"
	"github.com/keepstar/keepstar/internal/version"
	"github.com/keepstar/keepstar/internal/web"
)

// Constructor builds a feature over the core. Every feature beyond the
// core (the services, the apps) is one package with one Constructor.
type Constructor func(c *core.Core) (feature.Feature, error)

// connectors are the services' connector types: adding one (Mumble,
// TeamSpeak, a forum) is one line here.
var connectors = []services.TypeConstructor{discord.Type, mumble.Type, teamspeak3.Type, phpbb3.Type, smf.Type,
	discourse.Type, xenforo.Type, xmpp.Type}

// serviceTypes builds the connector types, those tests add included.
func serviceTypes(extra []services.TypeConstructor) []services.Type {
	var out []services.Type
	for _, t := range append(connectors[:len(connectors):len(connectors)], extra...) {
		out = append(out, t())
	}
	return out
}

// plugins are the features built over the core. Adding a feature is one
// line here; see docs/development.md, "Adding a feature".
var plugins = []Constructor{pings.New, tracking.New, evemail.New, watchlists.New, corpstats.New, fat.New, timers.New, fleetops.New, srp.New, hr.New}

// featureList gives every feature of Keepstar, in order: the order of the
// menu entries within each section, of the settings page's sections and of
// the hooks. The core's own features come first, then the plugins, then
// extra (features tests add).
func (p *parts) featureList(extra []Constructor) ([]feature.Feature, error) {
	c, cfg, logger := p.Core, p.Config, p.Logger
	pending, err := secrets.New(cfg.SecretKey, signin.PendingPurpose)
	if err != nil {
		return nil, err
	}
	signinDeps := signin.Deps{DB: c.DB, CallbackURL: cfg.EVECallbackURL.String(), Accounts: c.Accounts, Logins: c.Logins, Tokens: c.Tokens, Directory: c.Directory,
		Roles: c.ESI, Settings: c.Settings, Logger: logger, Now: time.Now, Pending: pending,
		Sessions: signin.SessionTimes{Lifetime: cfg.SessionLifetime, IdleTimeout: cfg.SessionIdleTimeout}}
	if c.SSO != nil {
		signinDeps.SSO = c.SSO
	}
	// The token check refreshes through the Source the ESI client uses, so
	// that both share its lock per token within the process.
	checkDeps := tokencheck.Deps{DB: c.DB, Tokens: c.Tokens, Logins: c.Logins, Settings: c.Settings, Logger: logger,
		Notifier: c.Notifications, Roles: c.ESI, Accounts: c.Accounts, Affiliations: c.Directory, Recomputer: c.Recomputer}
	if c.TokenSource != nil {
		checkDeps.Source = c.TokenSource
	}
	apps := appapi.NewStore(c.DB, cfg.SecretKey, nil)
	apiDeps := appapi.APIDeps{DB: c.DB, Apps: apps, Logger: logger, Requests: p.appRequests, Settings: c.Settings,
		RateLimits: p.appRateLimits, RateLimited: p.rateLimited, ESI: c.ESI, TokenRows: c.Tokens,
		AuthFailures: ratelimit.Limit{Max: int64(cfg.AppAuthFailuresMax), Window: cfg.AppAuthFailuresWindow}}
	if c.TokenSource != nil {
		apiDeps.Tokens = c.TokenSource
	}
	fs := []feature.Feature{
		siteFeature(c),
		// The checklist leads the Administration menu: a new admin starts
		// there.
		setup.Feature(p.checklist),
		c.Accounts.Feature(accounts.PageDeps{DB: c.DB, Tokens: c.Tokens, Logins: c.Logins, Settings: c.Settings,
			Permissions: c.Permissions, Setup: p.checklist, Roles: c.Roles,
			// The set is filled once every feature is built, before
			// anything is served.
			Cards: p.features.Cards, CardsFor: p.features.CardsFor, Logger: logger}),
		signin.Feature(signinDeps),
		c.Notifications.Feature(logger),
		c.Groups.Feature(groups.PageDeps{Characters: c.Accounts}, groups.AdminDeps{States: c.States, Characters: c.Accounts, Names: c.Names}),
		c.States.Feature(c.Names),
		c.Recomputer.Feature(access.AdminDeps{DB: c.DB, Catalogue: c.Permissions, Queue: c.Queue, Roles: c.Roles}, logger),
		tokencheck.New(checkDeps).Feature(logger),
		apps.Feature(apiDeps, appapi.PageDeps{DB: c.DB, Characters: c.Accounts, Logins: c.Logins, BaseURL: cfg.BaseURL.String()}),
		apidocs.Feature(),
		c.Logins.Feature(),
		sitesettings.Feature(c.Settings, c.Names),
		operations.Feature(operations.Deps{DB: c.DB, Schedules: p.jobs, Runner: c.Queue, JobsUI: &p.jobsUI,
			Version: version.String()}),
		esi.Feature(c.DB, p.esiMetrics, logger),
		c.Directory.Feature(c.Accounts, logger),
		c.Names.Feature(),
		c.Services.Feature(),
		// The calendar feed gathers every feature's events (timers, fleet
		// operations) as the dashboard gathers their cards.
		calendar.New(c, p.features.Calendar),
	}
	if c.DB.Dialect() == config.SQLite {
		fs = append(fs, sqliteFeature(c.DB))
	}
	for i, build := range append(plugins[:len(plugins):len(plugins)], extra...) {
		f, err := build(c)
		if err != nil {
			return nil, fmt.Errorf("feature %d of the plugins: %w", i+1, err)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// siteFeature is the web server's own part: the site's settings (name,
// theme, texts, logo) and the upkeep of its sessions.
func siteFeature(c *core.Core) feature.Feature {
	return feature.Feature{
		Name:     "site",
		Settings: web.SiteSettings(c.Config.SiteName),
		Jobs:     func(reg *jobs.Registry) { sessions.Register(reg, c.Sessions) },
	}
}

// sqliteFeature keeps an SQLite database's query planner informed.
func sqliteFeature(db *store.DB) feature.Feature {
	return feature.Feature{
		Name: "sqlite",
		Jobs: func(reg *jobs.Registry) {
			jobs.Add(reg, &optimizeWorker{db: db})
			reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return optimizeArgs{} }, Every: 6 * time.Hour, Priority: 4,
				Summary: "Let SQLite refresh its query planner's statistics.",
				Label:   "app.job.sqlite_optimize", Help: "app.job.sqlite_optimize_help"})
		},
	}
}

// optimizeArgs is the periodic SQLite upkeep job.
type optimizeArgs struct{}

func (optimizeArgs) Kind() string { return "sqlite_optimize" }

type optimizeWorker struct {
	river.WorkerDefaults[optimizeArgs]
	db *store.DB
}

func (w *optimizeWorker) Work(ctx context.Context, job *river.Job[optimizeArgs]) error {
	return w.db.Optimize(ctx)
}
