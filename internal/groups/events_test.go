package groups_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestRemovalsOfManyAreAnnounced: deleting a group or an autogroup
// configuration, and a status change clearing an account, each write one
// group-removed event per membership they end, saying why, and none for
// the memberships they leave.
func TestRemovalsOfManyAreAnnounced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
		s := groups.New(db, groups.Options{Queue: &noQueue{}, Catalogue: access.NewCatalogue(access.Permissions),
			Now: func() time.Time { return now }})
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, query, args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []int64{1, 2, 3} {
			exec(`INSERT INTO accounts (id, name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, $2, 'standard', TRUE, FALSE, '', '', $3, $3)`, a, fmt.Sprint("Pilot ", a), now)
		}
		var plain []int64
		for _, name := range []string{"Mining", "Hauling"} {
			g, err := s.Create(ctx, groups.Input{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			plain = append(plain, g.ID)
		}
		cfg, err := s.CreateAutogroups(ctx, groups.AutogroupConfig{CorporationGroups: true, NameSource: "name"})
		if err != nil {
			t.Fatal(err)
		}
		auto := int64(900)
		exec(`INSERT INTO groups (id, name, description, internal, hidden, open, public, restricted, is_default,
			autogroup_config, autogroup_kind, autogroup_entity, created_at, updated_at)
			VALUES ($1, 'Corp Some', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $2, 'corporation', 98000001, $3, $3)`, auto, cfg, now)
		member := func(a, g int64) {
			exec(`INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, a, g, now)
		}
		member(1, plain[0])
		member(2, plain[0])
		member(2, plain[1])
		member(3, plain[1])
		member(1, auto)
		member(3, auto)

		pos := int64(0)
		// expect reads the events written since the last call.
		expect := func(what string, want ...string) {
			t.Helper()
			evs, err := access.ReadEvents(ctx, db, pos, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, fmt.Sprintf("%s %d %d %s", e.Kind, e.AccountID, e.GroupID, e.Detail))
				pos = e.ID
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: events %q, want %q", what, got, want)
			}
		}
		expect("set up")
		if err := s.Delete(ctx, plain[0]); err != nil {
			t.Fatal(err)
		}
		expect("group deleted", fmt.Sprintf("%s 1 %d group deleted", access.EventGroupRemoved, plain[0]), fmt.Sprintf("%s 2 %d group deleted", access.EventGroupRemoved, plain[0]))
		if err := s.DeleteAutogroups(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		expect("autogroups deleted", fmt.Sprintf("%s 1 %d autogroups deleted", access.EventGroupRemoved, auto), fmt.Sprintf("%s 3 %d autogroups deleted", access.EventGroupRemoved, auto))
		err = db.InTx(ctx, func(tx *store.Tx) error { return s.ClearAccount(ctx, tx, 3) })
		if err != nil {
			t.Fatal(err)
		}
		expect("account cleared", fmt.Sprintf("%s 3 %d status changed", access.EventGroupRemoved, plain[1]))
		var left int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM group_members`).Scan(&left); err != nil || left != 1 {
			t.Errorf("%d memberships left (%v), want account 2's of Hauling", left, err)
		}
	})
}
