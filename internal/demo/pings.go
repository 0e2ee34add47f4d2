package demo

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/store"
)

// SeedPings lets the demo's members send group pings to the groups they
// are in (pings.send, given to the Member state): a visitor joins a group,
// sends a ping and sees it posted in the simulated Discord's channel.
func SeedPings(ctx context.Context, db *store.DB) error {
	if _, err := db.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, $1 FROM states WHERE name = 'Member' ON CONFLICT DO NOTHING`, pings.PermissionSend.Name); err != nil {
		return fmt.Errorf("demo: pings: %w", err)
	}
	return nil
}
