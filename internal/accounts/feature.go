package accounts

import (
	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the accounts feature: the member's own pages (dashboard,
// characters, profile, tokens), the user administration and the account
// settings.
func (a *Accounts) Feature(deps PageDeps) feature.Feature {
	return feature.Feature{
		Name:     "accounts",
		Settings: Settings,
		Roles:    []string{access.RoleUserAdmin},
		Routes:   func(srv *web.Server) error { return a.Mount(srv, deps) },
		Menu: []web.MenuItem{
			{Section: web.MenuMain, Label: "accounts.nav.dashboard", Path: "/dashboard", Access: web.LoggedIn},
			{Section: web.MenuMain, Label: "accounts.nav.characters", Path: "/characters", Access: web.LoggedIn},
			{Section: web.MenuUser, Label: "accounts.nav.profile", Path: "/profile", Access: web.LoggedIn},
			{Section: web.MenuUser, Label: "accounts.nav.tokens", Path: "/tokens", Access: web.LoggedIn},
			{Section: web.MenuAdmin, Label: "accounts.nav.admin", Path: "/admin/accounts", Access: AdminAccess},
		},
	}
}
