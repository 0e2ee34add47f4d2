package groups

import (
	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the groups feature: the members' and managers' pages, the
// administration of groups, autogroups and reserved names, their settings,
// and what merges and deactivations do to memberships.
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
	}
}
