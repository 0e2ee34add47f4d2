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
