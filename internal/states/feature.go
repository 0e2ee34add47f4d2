package states

import (
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the states feature: their administration pages, whose member
// fields take names as well as ids (resolved by names).
func (s *Store) Feature(names *names.Resolver) feature.Feature {
	return feature.Feature{
		Name:   "states",
		Routes: func(srv *web.Server) error { return s.Mount(srv, names) },
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "states.nav.admin", Path: "/admin/states", Access: AdminAccess}},
	}
}
