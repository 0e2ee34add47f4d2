package groups

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the groups feature: the members' and managers' pages, the
// administration of groups, autogroups and reserved names, their settings,
// what merges and deactivations do to memberships, and the setup
// checklist's item asking for the first groups.
func (s *Store) Feature(pages PageDeps, admin AdminDeps) feature.Feature {
	return feature.Feature{
		Name:     "groups",
		Settings: Settings,
		Roles:    []string{access.RoleGroupAdmin, access.RoleGroupManager},
		Routes: func(srv *web.Server) error {
			if err := s.Mount(srv, pages); err != nil {
				return err
			}
			return s.MountAdmin(srv, admin)
		},
		Menu: []web.MenuItem{
			{Section: web.MenuMain, Label: "groups.nav.groups", Path: "/groups", Access: web.LoggedIn},
			{Section: web.MenuMain, Label: "groups.nav.groups_manage", Path: "/groups/manage", Access: manageMenuAccess},
			{Section: web.MenuAdmin, Label: "groups.nav.admin.groups", Path: "/admin/groups", Access: AdminAccess},
			{Section: web.MenuAdmin, Label: "groups.nav.admin.autogroups", Path: "/admin/autogroups", Access: AdminAccess},
			{Section: web.MenuAdmin, Label: "groups.nav.admin.reserved_names", Path: "/admin/reserved-names", Access: AdminAccess},
		},
		Hooks: feature.Hooks{MergeAccounts: s.MergeAccounts, AccountStatusChanged: s.ClearAccount},
		Setup: []feature.SetupStep{{ID: "groups", Label: "groups.setup.groups", Help: "groups.setup.groups_help", Link: "/admin/groups",
			Done: s.Any}},
	}
}

// Any reports whether some group exists.
func (s *Store) Any(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups)`).Scan(&ok); err != nil {
		return false, fmt.Errorf("groups: any: %w", err)
	}
	return ok, nil
}
