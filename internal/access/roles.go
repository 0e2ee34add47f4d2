package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Role names, as Neucore has them.
const (
	RoleUserAdmin        = "user-admin"
	RoleUserManager      = "user-manager"
	RoleUserChars        = "user-chars"
	RoleGroupAdmin       = "group-admin"
	RoleGroupManager     = "group-manager"
	RoleAppAdmin         = "app-admin"
	RoleAppManager       = "app-manager"
	RoleESI              = "esi"
	RoleSettings         = "settings"
	RoleStatistics       = "statistics"
	RoleTracking         = "tracking"
	RoleTrackingAdmin    = "tracking-admin"
	RoleWatchlist        = "watchlist"
	RoleWatchlistManager = "watchlist-manager"
	RoleWatchlistAdmin   = "watchlist-admin"
)

// Roles lists the roles an account may be given, in the order pages show
// them. Each has a description message "role.<name>".
var Roles = []string{
	RoleUserAdmin, RoleUserManager, RoleUserChars, RoleGroupAdmin, RoleGroupManager, RoleAppAdmin, RoleAppManager,
	RoleESI, RoleSettings, RoleStatistics, RoleTracking, RoleTrackingAdmin, RoleWatchlist, RoleWatchlistManager,
	RoleWatchlistAdmin,
}

// ErrUnknownRole is wrapped when a role is not in Roles.
var ErrUnknownRole = errors.New("access: unknown role")

// RolesOf lists the roles given to an account, sorted.
func RolesOf(ctx context.Context, q store.Querier, accountID int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role`, accountID)
	if err != nil {
		return nil, fmt.Errorf("access: roles of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var roles []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("access: roles of account %d: %w", accountID, err)
		}
		roles = append(roles, r)
	}
	return roles, rows.Err()
}

// SetRoles makes an account's roles exactly roles.
func SetRoles(ctx context.Context, q store.Querier, accountID int64, roles []string, now time.Time) error {
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("%w: %q", ErrUnknownRole, r)
		}
	}
	if _, err := q.Exec(ctx, `DELETE FROM account_roles WHERE account_id = $1`, accountID); err != nil {
		return fmt.Errorf("access: set roles of account %d: %w", accountID, err)
	}
	for _, r := range roles {
		if _, err := q.Exec(ctx, `INSERT INTO account_roles (account_id, role, granted_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id, role) DO NOTHING`, accountID, r, now); err != nil {
			return fmt.Errorf("access: set roles of account %d: %w", accountID, err)
		}
	}
	return nil
}

// MergeAccounts gives the winner of an account merge the roles of the
// loser: both accounts belong to the same person (the same EVE owner).
func MergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO account_roles (account_id, role, granted_at)
		SELECT $1, role, granted_at FROM account_roles WHERE account_id = $2
		ON CONFLICT (account_id, role) DO NOTHING`, winner, loser); err != nil {
		return fmt.Errorf("access: merge roles of account %d into %d: %w", loser, winner, err)
	}
	return nil
}
