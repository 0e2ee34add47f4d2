package states

import (
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the states feature: their administration pages.
func (s *Store) Feature() feature.Feature {
	return feature.Feature{
		Name:   "states",
		Routes: s.Mount,
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "states.nav.admin", Path: "/admin/states", Access: AdminAccess}},
	}
}
