package logins

import (
	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the EVE logins feature: their administration pages.
func (s *Store) Feature() feature.Feature {
	return feature.Feature{
		Name:   "eve_logins",
		Roles:  []string{access.RoleSettings},
		Routes: s.Mount,
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "logins.nav.admin", Path: "/admin/eve-logins", Access: AdminAccess}},
	}
}
