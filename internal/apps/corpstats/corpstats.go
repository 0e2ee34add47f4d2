package corpstats

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// name is the feature's name, the prefix of its permissions.
const name = "corpstats"

// MembershipScope is the scope a member's token needs for ESI to list its
// corporation's members.
const MembershipScope = "esi-corporations.read_corporation_membership.v1"

// The permissions, Alliance Auth's: add_corpstats and the view rules, read
// in the OR sense against the viewer's main character. view_all is
// Alliance Auth's superuser view given as a permission.
var (
	PermissionAdd          = feature.Permission{Name: name + ".add", Label: "corpstats.permission.add"}
	PermissionViewCorp     = feature.Permission{Name: name + ".view_corp", Label: "corpstats.permission.view_corp"}
	PermissionViewAlliance = feature.Permission{Name: name + ".view_alliance", Label: "corpstats.permission.view_alliance"}
	PermissionViewState    = feature.Permission{Name: name + ".view_state", Label: "corpstats.permission.view_state"}
	PermissionViewAll      = feature.Permission{Name: name + ".view_all", Label: "corpstats.permission.view_all"}
)

// Who may use the pages: the menu entry shows to holders of a permission;
// the routes admit every member, as an adder sees their Corp Stats whatever
// their permissions, and the handlers decide per Corp Stats.
var (
	menuAccess = web.Permission(PermissionAdd.Name, PermissionViewCorp.Name, PermissionViewAlliance.Name,
		PermissionViewState.Name, PermissionViewAll.Name)
	addAccess = web.Permission(PermissionAdd.Name)
)

// Tick is how often the job updates every Corp Stats, Alliance Auth's
// suggested schedule (crontab hour */6).
const Tick = 6 * time.Hour

// CorpStats is the feature's engine.
type CorpStats struct {
	db     *store.DB
	esi    *esi.Client
	notify *notifications.Store
	logins *logins.Store
	logger *slog.Logger
	now    func() time.Time
}

// Deps are what CorpStats needs, for tests that build it without a site.
type Deps struct {
	DB     *store.DB
	ESI    *esi.Client
	Notify *notifications.Store // nil: failures are recorded, nobody told
	Logins *logins.Store
	Logger *slog.Logger
	Now    func() time.Time
}

// NewCorpStats builds the engine.
func NewCorpStats(d Deps) *CorpStats {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logins == nil {
		d.Logins = logins.NewStore(d.DB, d.Now)
	}
	return &CorpStats{db: d.DB, esi: d.ESI, notify: d.Notify, logins: d.Logins, logger: d.Logger, now: d.Now}
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.ESI == nil {
		return feature.Feature{}, errors.New("corpstats: the ESI client is not built")
	}
	cs := NewCorpStats(Deps{DB: c.DB, ESI: c.ESI, Notify: c.Notifications, Logins: c.Logins, Logger: c.Logger})
	return feature.Feature{
		Name: name,
		Permissions: []feature.Permission{PermissionAdd, PermissionViewCorp, PermissionViewAlliance, PermissionViewState,
			PermissionViewAll},
		Locales: Locales,
		Routes:  cs.mount,
		Menu:    []web.MenuItem{{Section: web.MenuApps, Label: "corpstats.nav", Path: "/corpstats", Access: menuAccess}},
		Jobs: func(reg *jobs.Registry) {
			jobs.Add(reg, &updateWorker{cs: cs})
			reg.Schedule(jobs.Periodic{
				Args: func() river.JobArgs { return UpdateArgs{} }, Every: Tick, Priority: 4,
				Summary: "Read the members of each Corp Stats' corporation once ESI's last answer expired (or take member tracking's current read), " +
					"with another member's token when the one used fails.",
				Label: "corpstats.job.update", Help: "corpstats.job.update_help",
			})
		},
		Hooks: feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}

// UpdateArgs is the job updating every Corp Stats.
type UpdateArgs struct{}

// Kind names the job in the queue.
func (UpdateArgs) Kind() string { return "corpstats_update" }

type updateWorker struct {
	river.WorkerDefaults[UpdateArgs]
	cs *CorpStats
}

func (w *updateWorker) Timeout(*river.Job[UpdateArgs]) time.Duration { return 30 * time.Minute }

func (w *updateWorker) Work(ctx context.Context, _ *river.Job[UpdateArgs]) error {
	ids, err := store.Column[int32](ctx, w.cs.db, `SELECT corporation_id FROM corpstats ORDER BY corporation_id`)
	if err != nil {
		return fmt.Errorf("corpstats: update: %w", err)
	}
	counts := map[Outcome]int{}
	for _, id := range ids {
		r, err := w.cs.Update(ctx, id)
		if err != nil {
			return fmt.Errorf("corpstats: update %d: %w", id, err)
		}
		counts[r.Outcome]++
	}
	w.cs.logger.InfoContext(ctx, "corpstats: updated", "read", counts[Read], "shared", counts[Shared], "fresh", counts[Fresh],
		"failed", counts[Failed])
	return nil
}

// mergeAccounts gives the winner the Corp Stats the loser added.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE corpstats SET added_by = $1 WHERE added_by = $2`, winner, loser); err != nil {
		return fmt.Errorf("corpstats: merge accounts: %w", err)
	}
	return nil
}
