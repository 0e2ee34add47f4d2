package corpstats_test

import (
	"context"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// allianceCorps finds an alliance of the simulated universe with two
// player corporations of two members or more.
func (h *harness) allianceCorps(t *testing.T) (alliance, corp, sibling int32) {
	t.Helper()
	u := h.sim.Universe
	player := map[int32]bool{}
	for _, c := range h.playerCorps(t, 3) {
		player[c] = true
	}
	for _, a := range u.Alliances() {
		cs, err := u.AllianceCorporations(a)
		if err != nil {
			t.Fatal(err)
		}
		var got []int32
		for _, c := range cs {
			if player[c] {
				got = append(got, c)
			}
		}
		if len(got) >= 2 {
			return a, got[0], got[1]
		}
	}
	t.Fatal("no alliance with two player corporations")
	return 0, 0, 0
}

// stateWith puts an account in a new state whose members are the entity.
func (h *harness) stateWith(t *testing.T, account int64, name, kind string, entity int32) {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := h.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO states (name, priority, public, guest, created_at, updated_at)
			VALUES ($1, (SELECT COALESCE(MAX(priority), 0) + 1 FROM states), FALSE, FALSE, $2, $2) RETURNING id`, name, h.clock.Now()).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(ctx, `INSERT INTO state_members (state_id, kind, entity_id) VALUES ($1, $2, $3)`, id, kind, entity); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(ctx, `UPDATE accounts SET state_id = $1 WHERE id = $2`, id, account); err != nil {
		t.Fatal(err)
	}
}

// Alliance Auth's rules, each in the OR sense against the viewer's main:
// own corporation, own alliance, own state (its member corporations and
// alliances), all; the adder always. Each rule admits only what it names.
func TestVisibility(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 600)
		alliance, corp, sibling := h.allianceCorps(t)
		ms, sib := h.members(t, corp), h.members(t, sibling)
		var elsewhere int32
		for _, c := range h.playerCorps(t, 2) {
			co, _ := h.sim.Universe.Corporation(c)
			if co.AllianceID != alliance {
				elsewhere = h.members(t, c)[0]
				break
			}
		}
		if elsewhere == 0 {
			t.Fatal("no corporation outside the alliance")
		}
		adder := h.account(t, ms[0])
		h.token(t, ms[0], membersLogin, corpstats.MembershipScope)
		if _, err := h.cs.Add(ctx, adder, ms[0]); err != nil {
			t.Fatal(err)
		}
		inCorp := h.account(t, ms[1])
		inAlliance := h.account(t, sib[0])
		outside := h.account(t, elsewhere)
		// Members of a state by the corporation and by the alliance, whose
		// mains are outside both.
		stateByCorp, stateByAlliance, stateOther := outside, h.account(t, sib[1]), h.account(t, sib[2])
		h.stateWith(t, stateByCorp, "By corporation", "corporation", corp)
		h.stateWith(t, stateByAlliance, "By alliance", "alliance", alliance)
		h.stateWith(t, stateOther, "Other", "corporation", sibling)

		cases := []struct {
			name string
			v    corpstats.Viewer
			want bool
		}{
			{"adder without rules", corpstats.Viewer{AccountID: adder}, true},
			{"own corporation, rule", corpstats.Viewer{AccountID: inCorp, Corp: true}, true},
			{"own corporation, no rule", corpstats.Viewer{AccountID: inCorp}, false},
			{"own corporation, alliance rule", corpstats.Viewer{AccountID: inCorp, Alliance: true}, true},
			{"own alliance, rule", corpstats.Viewer{AccountID: inAlliance, Alliance: true}, true},
			{"own alliance, corporation rule only", corpstats.Viewer{AccountID: inAlliance, Corp: true}, false},
			{"outside, corporation and alliance rules", corpstats.Viewer{AccountID: outside, Corp: true, Alliance: true}, false},
			{"state lists the corporation", corpstats.Viewer{AccountID: stateByCorp, State: true}, true},
			{"state lists the alliance", corpstats.Viewer{AccountID: stateByAlliance, State: true}, true},
			{"state lists another corporation", corpstats.Viewer{AccountID: stateOther, State: true}, false},
			{"state member without the rule", corpstats.Viewer{AccountID: stateByCorp, Corp: true}, false},
			{"all", corpstats.Viewer{AccountID: outside, All: true}, true},
		}
		for _, c := range cases {
			ss, err := corpstats.Visible(ctx, h.db, c.v)
			if err != nil {
				t.Fatal(err)
			}
			got := len(ss) == 1 && ss[0].CorporationID == corp
			if got != c.want || len(ss) > 1 {
				t.Errorf("%s: sees %d Corp Stats (ours: %v), want %v", c.name, len(ss), got, c.want)
			}
			_, ok, err := corpstats.MayView(ctx, h.db, c.v, corp)
			if err != nil || ok != c.want {
				t.Errorf("%s: MayView %v, %v; want %v", c.name, ok, err, c.want)
			}
		}
	})
}
