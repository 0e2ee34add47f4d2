package access

import (
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the access engine as a feature: its settings (deactivation),
// its permissions, the permissions overview and roles pages, the
// recomputation jobs, and moving roles and permissions when accounts merge.
func (r *Recomputer) Feature(deps AdminDeps, logger *slog.Logger) feature.Feature {
	return feature.Feature{
		Name:        "access",
		Settings:    Settings,
		Permissions: Permissions,
		Routes:      func(srv *web.Server) error { return MountAdmin(srv, deps) },
		Menu: []web.MenuItem{
			{Section: web.MenuAdmin, Label: "access.nav.admin.permissions", Path: "/admin/permissions", Access: AuditAccess},
			{Section: web.MenuAdmin, Label: "access.nav.admin.roles", Path: "/admin/roles", Access: web.Superusers},
		},
		Jobs: func(reg *jobs.Registry) {
			Register(reg, r, logger)
			// Time alone changes some access (a deactivation delay
			// running out): every account is recomputed hourly, whatever
			// changed.
			reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return RecomputeArgs{Force: true} }, Every: time.Hour,
				Priority: 1, Update: 30, Summary: "Recompute every account's state, groups, roles and permissions.",
				Label: "access.job.recompute", Help: "access.job.recompute_help"})
		},
		Hooks: feature.Hooks{MergeAccounts: MergeAccounts},
	}
}
