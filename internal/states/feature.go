package states

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the states feature: their administration pages, whose member
// fields take names as well as ids (resolved by names), and the setup
// checklist's item asking for a state of the organization.
func (s *Store) Feature(names *names.Resolver) feature.Feature {
	return feature.Feature{
		Name:   "states",
		Routes: func(srv *web.Server) error { return s.Mount(srv, names) },
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "states.nav.admin", Path: "/admin/states", Access: AdminAccess}},
		Setup: []feature.SetupStep{{ID: "state", Label: "states.setup.state", Help: "states.setup.state_help", Link: "/admin/states",
			Done: s.HasOrganizationState}},
	}
}

// HasOrganizationState reports whether a state other than Guest takes an
// alliance or a corporation: the organization's members have a state of
// their own.
func (s *Store) HasOrganizationState(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM states s JOIN state_members m ON m.state_id = s.id
		WHERE NOT s.guest AND m.kind IN ('alliance', 'corporation'))`).Scan(&ok); err != nil {
		return false, fmt.Errorf("states: organization state: %w", err)
	}
	return ok, nil
}
