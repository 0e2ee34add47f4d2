package access

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the access engine as a feature: its settings (deactivation),
// its permissions, the permissions overview and roles pages, the
// recomputation jobs, moving roles and permissions when accounts merge, and
// the setup checklist's item asking who administers what.
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
		Setup: []feature.SetupStep{{ID: "roles", Label: "access.setup.roles", Help: "access.setup.roles_help", Link: "/admin/accounts",
			Done: func(ctx context.Context) (bool, error) { return RolesGiven(ctx, deps.DB) }}},
	}
}

// RolesGiven reports whether administration is shared: some account holds
// a role, or a second account is superuser.
func RolesGiven(ctx context.Context, q store.Querier) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM account_roles)
		OR EXISTS (SELECT 1 FROM accounts WHERE superuser AND id <> (SELECT min(id) FROM accounts WHERE superuser))`).Scan(&ok); err != nil {
		return false, fmt.Errorf("access: roles given: %w", err)
	}
	return ok, nil
}
