package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestMappedGroupFollowsTheCorporation: a group mapped to a corporation
// (Neucore's automatic assignment) comes to an account when the simulated
// universe moves one of its characters there and the affiliations job
// runs, and goes when the character leaves; the member's state follows
// the main's corporation.
func TestMappedGroupFollowsTheCorporation(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			a := site.AccountCharacters(t, 2)
			b := site.NewBrowser(t)
			b.LogIn(t, a[0])
			b.AddCharacter(t, a[1])
			u := site.Sim.Universe
			alt, _ := u.Character(a[1])
			var target int32
			for _, c := range u.CorporationIDs() {
				if c != alt.CorporationID && c > 2000000 {
					target = c
					break
				}
			}
			// The group, mapped to the target corporation, and the Member
			// state open to it.
			var group int64
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := site.DB.Exec(ctx, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now()
			exec(`INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at)
				VALUES ('Target corp', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $1, $1)`, now)
			if err := site.DB.QueryRow(ctx, `SELECT id FROM groups WHERE name = 'Target corp'`).Scan(&group); err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO group_mappings (group_id, kind, entity_id) VALUES ($1, 'corporation', $2)`, group, target)
			exec(`INSERT INTO state_members (state_id, kind, entity_id) SELECT id, 'corporation', $1 FROM states WHERE name = 'Member'`, target)
			site.RunJob(t, access.RecomputeArgs{Force: true})
			if p := b.Get(t, "/dashboard"); strings.Contains(p.Body, "Target corp") {
				t.Fatal("the group before the move")
			}

			// The alt moves into the corporation: the account gets the group
			// (any character counts); its state stays, as the main did not move.
			if err := u.MoveCharacter(a[1], target); err != nil {
				t.Fatal(err)
			}
			site.RunJob(t, affiliations.SyncArgs{})
			p := b.Get(t, "/dashboard")
			if !strings.Contains(p.Body, "Target corp") {
				t.Fatalf("the group did not come with the alt's move:\n%s", p.Body)
			}
			if !strings.Contains(p.Body, `id="state">Guest`) {
				t.Error("the state changed though the main did not move")
			}
			// The main moves too: Member.
			if err := u.MoveCharacter(a[0], target); err != nil {
				t.Fatal(err)
			}
			site.RunJob(t, affiliations.SyncArgs{})
			if p := b.Get(t, "/dashboard"); !strings.Contains(p.Body, `id="state">Member`) {
				t.Error("the main's move did not make the account Member")
			}
			// Both leave: the group goes, logged as automatic.
			for _, id := range a {
				if err := u.MoveCharacter(id, alt.CorporationID); err != nil {
					t.Fatal(err)
				}
			}
			site.RunJob(t, affiliations.SyncArgs{})
			if p := b.Get(t, "/dashboard"); strings.Contains(p.Body, "Target corp") {
				t.Error("the group stayed after the characters left the corporation")
			}
			var logged int
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM group_log WHERE group_id = $1 AND action = 'auto'`, group).Scan(&logged); err != nil {
				t.Fatal(err)
			}
			if logged != 1 {
				t.Errorf("%d automatic log entries, want the removal", logged)
			}
			var events int
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM access_events WHERE group_id = $1`, group).Scan(&events); err != nil {
				t.Fatal(err)
			}
			if events != 2 {
				t.Errorf("%d access events for the group, want 2", events)
			}
		})
	}
}
