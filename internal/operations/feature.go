package operations

import (
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the operations page: the jobs, their schedules and River UI.
func Feature(deps Deps) feature.Feature {
	return feature.Feature{
		Name:   "operations",
		Routes: func(srv *web.Server) error { return Mount(srv, deps) },
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "operations.nav.admin", Path: Path, Access: web.Superusers}},
	}
}
