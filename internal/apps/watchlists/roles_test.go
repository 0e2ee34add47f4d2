package watchlists_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The roles watchlist and watchlist-manager follow membership of a list's
// view and manager groups, read with the account's rights, never stored.
func TestRolesFollowGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := &builder{db: db}
		viewer := b.account(t, ch{homeCorp, 0})
		manager := b.account(t, ch{homeCorp, 0})
		w := create(t, db, "Enemies")
		var view, managers int64
		must(t, db.InTx(ctx, func(tx *store.Tx) error {
			for i, g := range []*int64{&view, &managers} {
				if err := tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
					created_at, updated_at) VALUES ($2, '', false, false, false, true, false, false, $1, $1) RETURNING id`, time.Now(), []string{"View", "Managers"}[i]).Scan(g); err != nil {
					return err
				}
			}
			for acc, g := range map[int64]int64{viewer: view, manager: managers} {
				if _, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, acc, g, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}))
		roles := func(acc int64) []string {
			t.Helper()
			r, _, err := access.RightsOf(ctx, db, acc, watchlists.RolesFromGroups)
			must(t, err)
			return r
		}
		if r := roles(viewer); slices.Contains(r, access.RoleWatchlist) {
			t.Errorf("roles before any list names the group: %v", r)
		}
		must(t, watchlists.SetGroups(ctx, db, w.ID, false, []int64{view}))
		must(t, watchlists.SetGroups(ctx, db, w.ID, true, []int64{managers}))
		if r := roles(viewer); !slices.Equal(r, []string{access.RoleWatchlist}) {
			t.Errorf("viewer's roles = %v", r)
		}
		if r := roles(manager); !slices.Equal(r, []string{access.RoleWatchlistManager}) {
			t.Errorf("manager's roles = %v", r)
		}
		lists, err := watchlists.Of(ctx, db, viewer, false)
		must(t, err)
		if len(lists) != 1 || lists[0].ID != w.ID {
			t.Errorf("viewer's lists = %v", lists)
		}
		must(t, watchlists.SetGroups(ctx, db, w.ID, false, nil))
		if r := roles(viewer); len(r) != 0 {
			t.Errorf("viewer's roles once the group is no view group = %v", r)
		}
	})
}
