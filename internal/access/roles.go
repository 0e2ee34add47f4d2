package access

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	// RoleServiceAdmin configures the services (Discord, Mumble...):
	// Neucore's role of the same name.
	RoleServiceAdmin = "service-admin"
)

// Roles lists the roles an account may be given, in the order pages show
// them. Each has a description message "access.role.<name>".
var Roles = []string{
	RoleUserAdmin, RoleUserManager, RoleUserChars, RoleGroupAdmin, RoleGroupManager, RoleAppAdmin, RoleAppManager,
	RoleESI, RoleSettings, RoleStatistics, RoleTracking, RoleTrackingAdmin, RoleWatchlist, RoleWatchlistManager,
	RoleWatchlistAdmin, RoleServiceAdmin,
}

// ErrUnknownRole is wrapped when a role is not in Roles.
var ErrUnknownRole = errors.New("access: unknown role")

// RolesOf lists the roles given to an account, sorted.
func RolesOf(ctx context.Context, q store.Querier, accountID int64) ([]string, error) {
	roles, err := store.Column[string](ctx, q, `SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role`, accountID)
	if err != nil {
		return nil, fmt.Errorf("access: roles of account %d: %w", accountID, err)
	}
	return roles, nil
}

// Followed lists the roles that follow a relation another feature keeps,
// which nobody gives or takes by hand, as Neucore keeps them: app-manager
// follows the managers of apps (internal/appapi, SyncRole, stored),
// group-manager the managers of groups, directly or through a manager group
// (read with the account's rights, RightsOf, never stored: a membership
// change would otherwise have to sync it), watchlist and watchlist-manager
// the members of a watchlist's view and manager groups (read the same way).
var Followed = []string{RoleAppManager, RoleGroupManager, RoleWatchlist, RoleWatchlistManager}

// SetRoles makes an account's roles exactly roles, but for the Followed
// roles, which it leaves as they are (a followed role in roles is ignored).
func SetRoles(ctx context.Context, q store.Querier, accountID int64, roles []string, now time.Time) error {
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("%w: %q", ErrUnknownRole, r)
		}
	}
	followed, args := store.In(Followed, accountID)
	if _, err := q.Exec(ctx, `DELETE FROM account_roles WHERE account_id = $1 AND role NOT IN (`+followed+`)`, args...); err != nil {
		return fmt.Errorf("access: set roles of account %d: %w", accountID, err)
	}
	for _, r := range roles {
		if slices.Contains(Followed, r) {
			continue
		}
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

// MayHaveRole reports whether an account may hold a role: the role
// requires no group, or the account is in one of the groups it requires
// (Neucore's Account::mayHaveRole).
func MayHaveRole(ctx context.Context, q store.Querier, accountID int64, role string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM role_requirements WHERE role = $2)
		OR EXISTS (SELECT 1 FROM role_requirements rr JOIN group_members m ON m.group_id = rr.group_id
			WHERE rr.role = $2 AND m.account_id = $1)`, accountID, role).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("access: may account %d have role %s: %w", accountID, role, err)
	}
	return ok, nil
}

// SyncRole makes a role follow a relation another feature keeps, as Neucore
// syncs app-manager with managing an app (Account::syncManagerRole): each
// account of holds gets the role when its value is true and it may have the
// role, and loses it otherwise. Accounts not in holds keep what they have.
func SyncRole(ctx context.Context, q store.Querier, role string, holds map[int64]bool, now time.Time) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("%w: %q", ErrUnknownRole, role)
	}
	for _, id := range slices.Sorted(maps.Keys(holds)) {
		give := holds[id]
		if give {
			may, err := MayHaveRole(ctx, q, id, role)
			if err != nil {
				return err
			}
			give = may
		}
		var err error
		if give {
			_, err = q.Exec(ctx, `INSERT INTO account_roles (account_id, role, granted_at) VALUES ($1, $2, $3)
				ON CONFLICT (account_id, role) DO NOTHING`, id, role, now)
		} else {
			_, err = q.Exec(ctx, `DELETE FROM account_roles WHERE account_id = $1 AND role = $2`, id, role)
		}
		if err != nil {
			return fmt.Errorf("access: sync role %s of account %d: %w", role, id, err)
		}
	}
	return nil
}

// RoleSet is the roles of Roles that this site's features give a meaning
// to, each declared by a feature (feature.Feature.Roles): the pages offer
// those alone, so that a role of a feature not built yet (Neucore's member
// tracking, watchlists, statistics...) stays hidden until a feature that
// uses it is plugged in. An account that holds a hidden role keeps it.
// Filled while the features are built, then only read.
type RoleSet struct {
	declared map[string]bool
	fromData []string
}

// NewRoleSet gives a set with no role declared.
func NewRoleSet() *RoleSet { return &RoleSet{declared: map[string]bool{}} }

// Add declares roles, each of Roles; an unknown one is a programming error.
func (s *RoleSet) Add(roles ...string) {
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			panic("access: a feature declares the unknown role " + r)
		}
		s.declared[r] = true
	}
}

// AddFromData adds a feature's query of the roles an account holds through
// its data (feature.Feature.RolesFromData), read with its rights.
func (s *RoleSet) AddFromData(query string) {
	if query != "" {
		s.fromData = append(s.fromData, query)
	}
}

// FromData gives the queries added; none for a nil set.
func (s *RoleSet) FromData() []string {
	if s == nil {
		return nil
	}
	return s.fromData
}

// Offered lists the declared roles in the order of Roles. A nil set
// offers every role, for the tests of a package that builds its pages
// without the features.
func (s *RoleSet) Offered() []string {
	if s == nil {
		return slices.Clone(Roles)
	}
	var out []string
	for _, r := range Roles {
		if s.declared[r] {
			out = append(out, r)
		}
	}
	return out
}

// Has reports whether a feature declared role (any role of Roles, for a
// nil set).
func (s *RoleSet) Has(role string) bool {
	if s == nil {
		return slices.Contains(Roles, role)
	}
	return s.declared[role]
}
