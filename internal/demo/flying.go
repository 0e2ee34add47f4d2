package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
)

// SeedFlying readies the officers' apps (issue 19) for a visitor: the EVE
// logins fleet activity tracking asks for by default (fat, with the
// location scopes a fatlink click reads; fat-fleet, with the fleet scope
// the ESI import reads), which a real site's administrator creates, and
// the Member state's right to see the structure timers and the fleet
// operations. Timers, operations and fatlinks are the visitor's to make
// (they are superuser): the simulated universe answers a click and an
// import. What exists already (a kept folder) is left as it is.
func SeedFlying(ctx context.Context, db *store.DB, ls *logins.Store) error {
	for _, l := range []logins.Input{
		{Name: fat.SettingLogin.Default, Description: "Fleet activity tracking: where you are and what you fly, when you open a fatlink.",
			Scopes: strings.Join(fat.ClickScopes, " ")},
		{Name: fat.SettingFleetLogin.Default, Description: "Fleet activity tracking: the fleet boss's view of the fleet, to record everyone at once.",
			Scopes: strings.Join(fat.FleetScopes, " ")},
	} {
		if _, err := ls.Create(ctx, l); err != nil && !errors.Is(err, logins.ErrExists) {
			return fmt.Errorf("demo: login %s: %w", l.Name, err)
		}
	}
	for _, p := range []string{timers.PermissionView.Name, fleetops.PermissionView.Name} {
		if _, err := db.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
			SELECT id, $1 FROM states WHERE name = 'Member' ON CONFLICT DO NOTHING`, p); err != nil {
			return fmt.Errorf("demo: %s: %w", p, err)
		}
	}
	return nil
}
