package watchlists

import (
	"embed"
	"errors"
	"log/slog"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// name is the feature's name.
const name = "watchlists"

// Who may use the pages. The roles watchlist and watchlist-manager follow
// membership of some list's view and manager groups (access.RightsOf);
// which list a member may see or change is the handlers' to check against
// that list's groups. watchlist-admin is given by hand.
var (
	indexAccess  = web.Role(access.RoleWatchlist, access.RoleWatchlistManager, access.RoleWatchlistAdmin)
	viewAccess   = web.Role(access.RoleWatchlist)
	manageAccess = web.Role(access.RoleWatchlistManager, access.RoleWatchlistAdmin)
	adminAccess  = web.Role(access.RoleWatchlistAdmin)
)

// Watchlists is the feature.
type Watchlists struct {
	db     *store.DB
	names  *names.Resolver
	logger *slog.Logger
	now    func() time.Time
	auto   *autoAllowlist
}

// RolesFromGroups gives watchlist to a member of a list's view group and
// watchlist-manager to one of its manager group (feature.Feature.RolesFromData).
const RolesFromGroups = `SELECT CASE WHEN wg.manager THEN '` + access.RoleWatchlistManager + `' ELSE '` + access.RoleWatchlist + `' END
	FROM watchlist_groups wg JOIN group_members m ON m.group_id = wg.group_id WHERE m.account_id = $1`

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.Names == nil {
		return feature.Feature{}, errors.New("watchlists: the names resolver is not built")
	}
	wl := &Watchlists{db: c.DB, names: c.Names, logger: c.Logger, now: time.Now}
	wl.auto = newAutoAllowlist(c)
	return feature.Feature{
		Name:  name,
		Roles: []string{access.RoleWatchlist, access.RoleWatchlistManager, access.RoleWatchlistAdmin},
		// Neucore gives watchlist and watchlist-manager from the lists'
		// view and manager groups only.
		RolesFromData: RolesFromGroups,
		Locales:       Locales,
		Routes:        wl.mount,
		Menu: []web.MenuItem{
			{Section: web.MenuApps, Label: "watchlists.nav", Path: "/watchlists", Access: indexAccess},
			{Section: web.MenuAdmin, Label: "watchlists.admin.nav", Path: "/admin/watchlists", Access: adminAccess},
		},
		Jobs:  wl.auto.register,
		Hooks: feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}
