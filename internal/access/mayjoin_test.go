package access_test

import (
	"testing"

	"github.com/keepstar/keepstar/internal/access"
)

// TestMayJoinRefusesWhatWouldCostAGroupHeld: an admin's internal group
// forbids a public group; a member of the first may not join the second,
// which would take the first away.
func TestMayJoinRefusesWhatWouldCostAGroupHeld(t *testing.T) {
	cfg := &access.Config{
		States: []access.State{{ID: 1, Guest: true, Public: true}},
		Groups: []access.Group{{ID: 1, Internal: true, Forbidden: []int64{2}}, {ID: 2, Public: true}, {ID: 3, Public: true}},
	}
	f := access.Facts{AccountID: 1, Active: true, Main: &access.Character{ID: 1}, Characters: []access.Character{{ID: 1}}, Groups: []int64{1}}
	r := access.Compute(f, cfg)
	if got := cfg.MayJoin(f, r, 2, false); got != access.RefusedForbidden {
		t.Errorf("joining the forbidden group: %q, want %q", got, access.RefusedForbidden)
	}
	if got := cfg.MayJoin(f, r, 3, false); got != "" {
		t.Errorf("joining a free public group: %q", got)
	}
}

// TestGuardedGroupsAreForSuperusers: a group that grants permissions, or
// that a role requires, is joined only through a superuser, as a
// restricted one; each says why.
func TestGuardedGroupsAreForSuperusers(t *testing.T) {
	cfg := &access.Config{
		States: []access.State{{ID: 1, Guest: true, Public: true}},
		Groups: []access.Group{{ID: 1, Public: true, Open: true, Restricted: true}, {ID: 2, Public: true, Open: true, Permissions: []string{"access.audit"}},
			{ID: 3, Public: true, Open: true}, {ID: 4, Public: true, Open: true}},
		RoleRequirements: map[string][]int64{access.RoleGroupAdmin: {3}},
	}
	f := access.Facts{AccountID: 1, Active: true, Main: &access.Character{ID: 1}, Characters: []access.Character{{ID: 1}}}
	r := access.Compute(f, cfg)
	for id, want := range map[int64]struct {
		guard   access.Guard
		refusal access.Refusal
	}{1: {access.GuardRestricted, access.RefusedRestricted}, 2: {access.GuardGrants, access.RefusedGrants}, 3: {access.GuardRole, access.RefusedRole}, 4: {}} {
		if got := cfg.Guard(id); got != want.guard {
			t.Errorf("group %d: guard %q, want %q", id, got, want.guard)
		}
		if got := cfg.MayJoin(f, r, id, false); got != want.refusal || got.Guarded() != (want.refusal != "") {
			t.Errorf("group %d: a member may join: %q, want %q", id, got, want.refusal)
		}
		if got := cfg.MayJoin(f, r, id, true); got != "" {
			t.Errorf("group %d: a superuser may join: %q", id, got)
		}
	}
}
