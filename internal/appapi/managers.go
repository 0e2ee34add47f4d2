package appapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/store"
)

// The app-manager role follows the managers of apps, as Neucore keeps it
// (Account::syncManagerRole): an account gets the role when it becomes a
// manager of an app and loses it when it manages none any more, in the
// transaction that changes the managers. The role opens the managers' page
// (/apps); which apps a manager sees and may make a secret for is decided
// by the app_managers rows alone, so a role given by hand opens nothing.

// managersOf lists the managers of an app.
func managersOf(ctx context.Context, q store.Querier, appID int64) ([]int64, error) {
	out, err := store.Column[int64](ctx, q, `SELECT account_id FROM app_managers WHERE app_id = $1 ORDER BY account_id`, appID)
	if err != nil {
		return nil, fmt.Errorf("apps: managers of %d: %w", appID, err)
	}
	return out, nil
}

// syncManagers follows a change of an app's managers from before to after
// (the relation already written): an account that becomes a manager must
// be allowed the app-manager role (the groups the role requires, as Neucore
// refuses such a manager), and every account of either list holds the role
// exactly when it manages an app.
func syncManagers(ctx context.Context, q store.Querier, before, after []int64, now time.Time) error {
	for _, id := range after {
		if slices.Contains(before, id) {
			continue
		}
		may, err := access.MayHaveRole(ctx, q, id, access.RoleAppManager)
		if err != nil {
			return err
		}
		if !may {
			return fmt.Errorf("%w: account %d may not have the role %s (it is in none of the groups the role requires)",
				ErrInvalid, id, access.RoleAppManager)
		}
	}
	return syncManagerRole(ctx, q, append(slices.Clone(before), after...), now)
}

// syncManagerRole gives the app-manager role to the accounts of ids that
// manage an app, and takes it from those that manage none.
func syncManagerRole(ctx context.Context, q store.Querier, ids []int64, now time.Time) error {
	holds := map[int64]bool{}
	for _, id := range ids {
		if _, done := holds[id]; done {
			continue
		}
		var manages bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app_managers WHERE account_id = $1)`, id).Scan(&manages); err != nil {
			return fmt.Errorf("apps: managers: %w", err)
		}
		holds[id] = manages
	}
	return access.SyncRole(ctx, q, access.RoleAppManager, holds, now)
}

// MayManage reports whether an account may be made a manager of an app:
// whether it may hold the app-manager role.
func (s *Store) MayManage(ctx context.Context, accountID int64) (bool, error) {
	return access.MayHaveRole(ctx, s.db, accountID, access.RoleAppManager)
}

// IsManager reports whether an account manages an app.
func (s *Store) IsManager(ctx context.Context, appID, accountID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app_managers WHERE app_id = $1 AND account_id = $2)`,
		appID, accountID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("apps: is %d a manager of %d: %w", accountID, appID, err)
	}
	return ok, nil
}

// MergeAccounts gives the apps a merged account managed to the winner (an
// accounts.Merger), with the role that follows.
func (s *Store) MergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO app_managers (app_id, account_id) SELECT app_id, $1 FROM app_managers
		WHERE account_id = $2 ON CONFLICT (app_id, account_id) DO NOTHING`, winner, loser); err != nil {
		return fmt.Errorf("apps: merge account %d into %d: %w", loser, winner, err)
	}
	if _, err := q.Exec(ctx, `DELETE FROM app_managers WHERE account_id = $1`, loser); err != nil {
		return fmt.Errorf("apps: merge account %d into %d: %w", loser, winner, err)
	}
	return syncManagerRole(ctx, q, []int64{winner, loser}, s.now())
}
