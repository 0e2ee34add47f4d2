package tracking

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// SettingStructureErrorDays is Neucore's fetch_structure_name_error_days.
var SettingStructureErrorDays = settings.Definition{Name: name + ".structure_error_days", Kind: settings.KindText,
	Default: "3=7,10=30", MaxLen: 200, Section: "tracking.settings.section", Label: "tracking.settings.structure_error_days",
	Help:     "tracking.settings.structure_error_days_help",
	Validate: func(v string) error { _, err := parseBackoff(v); return err }}

// Tracking is the feature.
type Tracking struct {
	db       *store.DB
	esi      *esi.Client
	settings *settings.Store
	groups   *groups.Store
	logger   *slog.Logger
	now      func() time.Time
}

// Deps are what Tracking needs, for tests that build it without a site.
type Deps struct {
	DB       *store.DB
	ESI      *esi.Client
	Settings *settings.Store
	Groups   *groups.Store // the admin page's choices
	Logger   *slog.Logger
	Now      func() time.Time
}

// NewTracking builds the feature's engine.
func NewTracking(d Deps) *Tracking {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Tracking{db: d.DB, esi: d.ESI, settings: d.Settings, groups: d.Groups, logger: d.Logger, now: d.Now}
}

var (
	viewAccess  = web.Role(access.RoleTracking)
	adminAccess = web.Role(access.RoleTrackingAdmin)
)

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.ESI == nil {
		return feature.Feature{}, errors.New("tracking: the ESI client is not built")
	}
	t := NewTracking(Deps{DB: c.DB, ESI: c.ESI, Settings: c.Settings, Groups: c.Groups, Logger: c.Logger})
	return feature.Feature{
		Name:     name,
		Settings: []settings.Definition{SettingStructureErrorDays},
		Roles:    []string{access.RoleTracking, access.RoleTrackingAdmin},
		// Neucore's rule: the role follows membership of a corporation's
		// tracking group. Here it also stays grantable by hand, which
		// shows no corporation without such a group anyway.
		RolesFromData: RolesFromGroups,
		Logins:        []string{logins.Tracking},
		Locales:       Locales,
		Routes:        t.mount,
		Menu: []web.MenuItem{
			{Section: web.MenuApps, Label: "tracking.nav", Path: "/tracking", Access: viewAccess},
			{Section: web.MenuAdmin, Label: "tracking.admin.nav", Path: "/admin/tracking", Access: adminAccess},
		},
		Jobs: func(reg *jobs.Registry) {
			jobs.Add(reg, &updateWorker{t: t})
			reg.Schedule(jobs.Periodic{
				Args: func() river.JobArgs { return UpdateArgs{} }, Every: Tick, Priority: 3,
				Summary: "Read member tracking of each corporation with a director's core.tracking token once its last answer expired, " +
					"names of new or expired locations and ship types, and store each corporation whole.",
				Label: "tracking.job.update", Help: "tracking.job.update_help",
			})
		},
	}, nil
}

// RolesFromGroups gives tracking to a member of any corporation's tracking
// group (feature.Feature.RolesFromData).
const RolesFromGroups = `SELECT '` + access.RoleTracking + `' WHERE EXISTS (SELECT 1 FROM group_members m
	JOIN tracking_groups tg ON tg.group_id = m.group_id WHERE m.account_id = $1)`

// Tick is how often the job runs: each corporation is read only once its
// cached answer (an hour on ESI) has expired, so a short tick costs
// nothing but a query and keeps data at most a tick late.
const Tick = 10 * time.Minute

// UpdateArgs is the job reading member tracking.
type UpdateArgs struct{}

// Kind names the job in the queue.
func (UpdateArgs) Kind() string { return "tracking_update" }

type updateWorker struct {
	river.WorkerDefaults[UpdateArgs]
	t *Tracking
}

func (w *updateWorker) Timeout(*river.Job[UpdateArgs]) time.Duration { return 30 * time.Minute }

func (w *updateWorker) Work(ctx context.Context, _ *river.Job[UpdateArgs]) error {
	r, err := w.t.Update(ctx)
	if err != nil {
		return fmt.Errorf("tracking: update: %w", err)
	}
	w.t.logger.InfoContext(ctx, "tracking: updated", "corporations", r.Corporations, "skipped", r.Skipped, "failed", r.Failed, "members", r.Members)
	return nil
}

// structureBackoff reads the setting; without a settings store (tests),
// its default.
func (t *Tracking) structureBackoff(ctx context.Context) (backoff, error) {
	v := SettingStructureErrorDays.Default
	if t.settings != nil {
		vals, err := t.settings.Current(ctx)
		if err != nil {
			return nil, err
		}
		v = vals.String(SettingStructureErrorDays)
	}
	b, err := parseBackoff(v)
	if err != nil {
		return nil, fmt.Errorf("tracking: setting %s: %w", SettingStructureErrorDays.Name, err)
	}
	return b, nil
}

// name is the feature's name, the prefix of its setting: built so that
// the catalogue's check, which takes every quoted "tracking.…" for a
// message id, does not take the setting's name for one.
const name = "tracking"
