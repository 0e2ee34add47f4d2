package operations

import (
	"context"
	"time"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the operations page: the jobs, their schedules and River UI;
// and the setup checklist's item on the jobs' health.
func Feature(deps Deps) feature.Feature {
	return feature.Feature{
		Name:   "operations",
		Routes: func(srv *web.Server) error { return Mount(srv, deps) },
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "operations.nav.admin", Path: Path, Access: web.Superusers}},
		Setup: []feature.SetupStep{{ID: "jobs", Label: "operations.setup.jobs", Help: "operations.setup.jobs_help", Link: Path,
			Done: func(ctx context.Context) (bool, error) {
				now := time.Now
				if deps.Now != nil {
					now = deps.Now
				}
				h, err := jobs.ReadHealth(ctx, deps.DB, now())
				return h.OK(), err
			}}},
	}
}
