package sitesettings

import (
	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the settings page, where every feature's settings show; names
// resolves the names typed into settings of EVE ids.
func Feature(st *settings.Store, names *names.Resolver) feature.Feature {
	return feature.Feature{
		Name:   "sitesettings",
		Roles:  []string{access.RoleSettings},
		Routes: func(srv *web.Server) error { return Mount(srv, st, names) },
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "sitesettings.nav.admin.settings", Path: "/admin/settings", Access: Access}},
	}
}
