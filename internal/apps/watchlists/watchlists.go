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

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.Names == nil {
		return feature.Feature{}, errors.New("watchlists: the names resolver is not built")
	}
	wl := &Watchlists{db: c.DB, names: c.Names, logger: c.Logger, now: time.Now}
	wl.auto = newAutoAllowlist(c)
	return feature.Feature{
		Name:    name,
		Roles:   []string{access.RoleWatchlist, access.RoleWatchlistManager, access.RoleWatchlistAdmin},
		Locales: Locales,
		Routes:  wl.mount,
		Menu: []web.MenuItem{
			{Section: web.MenuApps, Label: "watchlists.nav", Path: "/watchlists", Access: indexAccess},
			{Section: web.MenuAdmin, Label: "watchlists.admin.nav", Path: "/admin/watchlists", Access: adminAccess},
		},
		Jobs:  wl.auto.register,
		Hooks: feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}
