package access_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The recomputer's tests run on the benchmark site (populate), made small:
// states, mapped and default groups, required and forbidden rules and
// hand-joined groups, on both engines.
const testAccounts = 400

// storedAccess is what the database holds of every account: its state and
// its groups.
type storedAccess struct {
	state  map[int64]int64
	groups map[int64][]int64
}

func readStored(t *testing.T, db *store.DB) storedAccess {
	t.Helper()
	ctx := context.Background()
	s := storedAccess{state: map[int64]int64{}, groups: map[int64][]int64{}}
	rows, err := db.Query(ctx, `SELECT id, COALESCE(state_id, 0) FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, state int64
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		s.state[id] = state
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT account_id, group_id FROM group_members ORDER BY account_id, group_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, g int64
		if err := rows.Scan(&a, &g); err != nil {
			t.Fatal(err)
		}
		s.groups[a] = append(s.groups[a], g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// events counts the access events by kind, read as a consumer does, a
// page at a time.
func events(t *testing.T, db *store.DB) map[access.EventKind]int {
	t.Helper()
	out := map[access.EventKind]int{}
	for pos := int64(0); ; {
		page, err := access.ReadEvents(context.Background(), db, pos, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			out[e.Kind]++
		}
		pos = page[len(page)-1].ID
	}
}

func changes(s access.Stats) int { return s.StateChanges + s.GroupsAdded + s.GroupsRemoved }

// TestRecomputeStoresWhatTheEngineDecides: after a full recomputation
// every account holds the state and groups the engine computes for it,
// each change was announced by exactly one event, and a second
// recomputation changes nothing and announces nothing.
func TestRecomputeStoresWhatTheEngineDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		populate(t, db, testAccounts)
		before := readStored(t, db)
		r := benchRecomputer(db)
		stats, err := r.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Accounts != testAccounts || stats.StateChanges != testAccounts || stats.GroupsAdded == 0 || stats.GroupsRemoved == 0 {
			t.Fatalf("first recomputation: %+v; want every account's state set, groups added and removed", stats)
		}
		after := readStored(t, db)
		added, removed := 0, 0
		for id := int64(1); id <= testAccounts; id++ {
			_, _, res, err := r.Account(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if after.state[id] != res.StateID || after.state[id] == 0 {
				t.Errorf("account %d: stored state %d, the engine says %d", id, after.state[id], res.StateID)
			}
			if !slices.Equal(after.groups[id], res.Groups) {
				t.Errorf("account %d: stored groups %v, the engine says %v", id, after.groups[id], res.Groups)
			}
			for _, g := range after.groups[id] {
				if !slices.Contains(before.groups[id], g) {
					added++
				}
			}
			for _, g := range before.groups[id] {
				if !slices.Contains(after.groups[id], g) {
					removed++
				}
			}
		}
		if added != stats.GroupsAdded || removed != stats.GroupsRemoved {
			t.Errorf("stats say %d added, %d removed; the tables %d and %d", stats.GroupsAdded, stats.GroupsRemoved, added, removed)
		}
		ev := events(t, db)
		if ev[access.EventGroupAdded] != added || ev[access.EventGroupRemoved] != removed || ev[access.EventStateChanged] != testAccounts {
			t.Errorf("events %v; want %d group-added, %d group-removed, %d state-changed", ev, added, removed, testAccounts)
		}

		again, err := r.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if changes(again) != 0 {
			t.Errorf("a second recomputation changed %+v", again)
		}
		if got := events(t, db); fmt.Sprint(got) != fmt.Sprint(ev) {
			t.Errorf("a second recomputation announced events: %v, was %v", got, ev)
		}
	})
}

// TestIncrementalRecomputeMatchesFull: after a corporation changes
// alliance and a character changes corporation, recomputing only the
// accounts Affected names leaves nothing for a full recomputation to do.
func TestIncrementalRecomputeMatchesFull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		populate(t, db, testAccounts)
		r := benchRecomputer(db)
		if _, err := r.All(ctx); err != nil {
			t.Fatal(err)
		}
		// Find corporations whose move changes something: the benchmark's
		// groups are mapped by corporation and alliance, its states too.
		moved := 0
		for i := range benchCorporations {
			corp, to := corpOf(i), allianceOf((i+101)%benchAlliances)
			n, err := db.Exec(ctx, `UPDATE characters SET alliance_id = $2 WHERE corporation_id = $1`, corp, to)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				continue
			}
			var main int32
			if err := db.QueryRow(ctx, `SELECT id FROM characters WHERE corporation_id = $1 ORDER BY id LIMIT 1`, corp).Scan(&main); err != nil {
				t.Fatal(err)
			}
			// And one of its characters leaves for another corporation.
			other := corpOf((i + 7) % benchCorporations)
			if _, err := db.Exec(ctx, `UPDATE characters SET corporation_id = $2, alliance_id = NULL WHERE id = $1`, main, other); err != nil {
				t.Fatal(err)
			}
			ids, err := access.Affected(ctx, db, []int32{corp, other}, nil)
			if err != nil {
				t.Fatal(err)
			}
			stats, err := r.Accounts(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Accounts != len(ids) {
				t.Errorf("recomputed %d accounts of %d", stats.Accounts, len(ids))
			}
			if changes(stats) > 0 {
				moved++
			}
			if moved == 5 {
				break
			}
		}
		if moved == 0 {
			t.Fatal("no move changed anything: the test proves nothing")
		}
		full, err := r.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if changes(full) != 0 {
			t.Errorf("after the incremental recomputations a full one still changed %+v", full)
		}
	})
}

// TestAutogroupsFollowTheirMembers: an autogroup configuration for every
// state makes one group per main's corporation, named from the
// corporation; when the last member leaves the corporation its group
// goes, and the group of the corporation they joined exists.
func TestAutogroupsFollowTheirMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		populate(t, db, testAccounts)
		now := time.Now()
		for i := range benchCorporations {
			if _, err := db.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)`,
				corpOf(i), fmt.Sprintf("Deep Core %d", i), fmt.Sprintf("DC%d", i), now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, `INSERT INTO autogroup_configs (corporation_groups, alliance_groups, corporation_prefix,
				alliance_prefix, name_source, replace_spaces, replace_with, created_at, updated_at)
			VALUES (TRUE, FALSE, 'Corp ', 'Alliance ', 'name', TRUE, '_', $1, $1)`, now); err != nil {
			t.Fatal(err)
		}
		var cfg int64
		if err := db.QueryRow(ctx, `SELECT max(id) FROM autogroup_configs`).Scan(&cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO autogroup_config_states (config_id, state_id) SELECT $1, id FROM states`, cfg); err != nil {
			t.Fatal(err)
		}
		r := benchRecomputer(db)
		stats, err := r.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var mainCorps int
		if err := db.QueryRow(ctx, `SELECT count(DISTINCT corporation_id) FROM characters WHERE main`).Scan(&mainCorps); err != nil {
			t.Fatal(err)
		}
		if stats.AutogroupsMade != mainCorps {
			t.Fatalf("made %d autogroups for %d corporations of mains", stats.AutogroupsMade, mainCorps)
		}
		// Each main is in the group of its corporation, named as configured.
		groupOf := func(corp int32) (id int64, name string) {
			t.Helper()
			err := db.QueryRow(ctx, `SELECT id, name FROM groups WHERE autogroup_config = $1 AND autogroup_kind = 'corporation'
				AND autogroup_entity = $2`, cfg, corp).Scan(&id, &name)
			if err != nil && err != store.ErrNoRows {
				t.Fatal(err)
			}
			return id, name
		}
		var account int64
		var corp int32
		if err := db.QueryRow(ctx, `SELECT account_id, corporation_id FROM characters WHERE main ORDER BY id LIMIT 1`).Scan(&account, &corp); err != nil {
			t.Fatal(err)
		}
		g, name := groupOf(corp)
		if want := access.AutogroupName("Corp ", fmt.Sprintf("Deep Core %d", corp-corpOf(0)), true, "_"); name != want || name != fmt.Sprintf("Corp_Deep_Core_%d", corp-corpOf(0)) {
			t.Errorf("autogroup named %q, want %q", name, want)
		}
		if after := readStored(t, db); !slices.Contains(after.groups[account], g) {
			t.Errorf("account %d is not in %q, its main's corporation's group", account, name)
		}

		// Every main of that corporation moves to a corporation that has
		// no main yet.
		var to int32
		if err := db.QueryRow(ctx, `SELECT min(corporation_id) FROM characters WHERE corporation_id NOT IN
			(SELECT corporation_id FROM characters WHERE main)`).Scan(&to); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE characters SET corporation_id = $2 WHERE main AND corporation_id = $1`, corp, to); err != nil {
			t.Fatal(err)
		}
		ids, err := access.Affected(ctx, db, []int32{corp, to}, nil)
		if err != nil {
			t.Fatal(err)
		}
		moved, err := r.Accounts(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if moved.AutogroupsMade != 1 || moved.AutogroupsGone != 1 {
			t.Errorf("after the move %+v; want one autogroup made and one gone", moved)
		}
		if id, _ := groupOf(corp); id != 0 {
			t.Errorf("the group of the corporation every main left is still there (%d)", id)
		}
		newGroup, _ := groupOf(to)
		if after := readStored(t, db); newGroup == 0 || !slices.Contains(after.groups[account], newGroup) || slices.Contains(after.groups[account], g) {
			t.Errorf("account %d has groups %v after the move; want %d and not %d", account, after.groups[account], newGroup, g)
		}
	})
}
