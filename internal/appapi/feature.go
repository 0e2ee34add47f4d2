package appapi

import (
	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is Neucore's Application API: the API operations and the ESI
// proxy, the pages of app administrators and app managers, the rate limit
// settings, the request counts, and what merges and group changes mean for
// apps.
func (s *Store) Feature(api APIDeps, pages PageDeps) feature.Feature {
	return feature.Feature{
		Name:     "appapi",
		Roles:    []string{access.RoleAppAdmin, access.RoleAppManager},
		Settings: RateLimitSettings,
		Routes: func(srv *web.Server) error {
			NewAPI(api).Mount(srv)
			return s.MountPages(srv, pages)
		},
		Menu: []web.MenuItem{
			{Section: web.MenuMain, Label: "appapi.nav.apps", Path: "/apps", Access: ManagerAccess},
			{Section: web.MenuAdmin, Label: "appapi.nav.admin", Path: "/admin/apps", Access: AdminAccess},
		},
		Metrics: api.Requests.Collectors(),
		Hooks:   feature.Hooks{MergeAccounts: s.MergeAccounts, CheckGroup: s.CheckGroup},
	}
}
