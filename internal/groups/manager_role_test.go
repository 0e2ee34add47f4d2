package groups_test

import (
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
)

// TestGroupManagerRoleFollowsManaging: the group-manager role is how a
// page learns that an account manages a group, itself or through a manager
// group it is in; nobody gives it by hand.
func TestGroupManagerRoleFollowsManaging(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		direct, viaGroup, other := e.member(), e.member(), e.member()
		managed := e.group(groups.Input{Name: "Managed", Open: true})
		managers := e.group(groups.Input{Name: "Managers"})
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO group_managers (group_id, account_id) VALUES ($1, $2)`, []any{managed.ID, direct.account}},
			{`INSERT INTO group_manager_groups (group_id, manager_group_id) VALUES ($1, $2)`, []any{managed.ID, managers.ID}},
			{`INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, []any{viaGroup.account, managers.ID, time.Now()}},
		} {
			if _, err := e.site.DB.Exec(e.ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name string
			u    user
			want bool
		}{{"direct manager", direct, true}, {"member of a manager group", viaGroup, true}, {"member", other, false}} {
			roles, _, err := access.RightsOf(e.ctx, e.site.DB, c.u.account)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(roles, access.RoleGroupManager); got != c.want {
				t.Errorf("%s: roles %v, group-manager %v, want %v", c.name, roles, got, c.want)
			}
			get(t, c.u, "/groups/manage", map[bool]int{true: 200, false: 403}[c.want])
		}
		// Given by hand, it is ignored, as app-manager is.
		if err := access.SetRoles(e.ctx, e.site.DB, other.account, []string{access.RoleGroupManager}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if roles, _, err := access.RightsOf(e.ctx, e.site.DB, other.account); err != nil || slices.Contains(roles, access.RoleGroupManager) {
			t.Errorf("group-manager given by hand: %v %v", roles, err)
		}
	})
}
