package affiliations_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// progressStep is one report of Sync's Applied.
type progressStep struct {
	done, total int64
	last        int32
}

func syncAll(t *testing.T, k *keepstar, chunk int) (affiliations.SyncResult, []progressStep) {
	t.Helper()
	var steps []progressStep
	res, err := k.dir.Sync(context.Background(), k.acc, affiliations.SyncOptions{Chunk: chunk,
		Applied: func(done, total int64, last int32) { steps = append(steps, progressStep{done, total, last}) }})
	if err != nil {
		t.Fatal(err)
	}
	return res, steps
}

// changeUniverse moves every ninth character into another player
// corporation, moves two corporations into other alliances (one out of any),
// and biomasses one character.
func changeUniverse(t *testing.T, u *universe.Universe, ids []int32) (moved []int32, biomassed int32) {
	t.Helper()
	corps := playerCorporations(u)
	for i, id := range ids {
		if i%9 != 4 {
			continue
		}
		c, _ := u.Character(id)
		to := corps[(i*7)%len(corps)]
		if to == c.CorporationID {
			to = corps[(i*7+1)%len(corps)]
		}
		if err := u.MoveCharacter(id, to); err != nil {
			t.Fatal(err)
		}
		moved = append(moved, id)
	}
	alliances := u.Alliances()
	for i, corp := range corps[:2] {
		c, _ := u.Corporation(corp)
		to := int32(0)
		if i == 0 {
			to = alliances[0]
			if to == c.AllianceID {
				to = alliances[1]
			}
		}
		if err := u.SetCorporationAlliance(corp, to); err != nil {
			t.Fatal(err)
		}
	}
	biomassed = ids[5]
	if err := u.Biomass(biomassed); err != nil {
		t.Fatal(err)
	}
	return moved, biomassed
}

// TestSyncInChunksEqualsOneBatch: a sync in chunks of 37 characters leaves
// the database exactly as one batch does (characters, their affiliations
// and removals, corporations and alliances), reads each corporation and
// alliance once in the run, and reports its progress chunk by chunk.
func TestSyncInChunksEqualsOneBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSimEVE(t, 900)
		u := s.Universe
		ids := u.CharacterIDs()
		batchDB := storetest.Open(t, db.Dialect())
		chunked, batch := newKeepstar(t, s, db, 0), newKeepstar(t, s, batchDB, 0)
		addCharacters(t, db, u, ids)
		addCharacters(t, batchDB, u, ids)
		moved, biomassed := changeUniverse(t, u, ids)

		s.reset()
		chunkedRes, steps := syncAll(t, chunked, 37)
		chunkedReads := s.readPaths()
		calls, _ := s.counts("affiliation")
		if want := (len(ids) + 36) / 37; calls != want {
			t.Errorf("%d affiliation calls in chunks of 37, want %d", calls, want)
		}
		s.reset()
		batchRes, batchSteps := syncAll(t, batch, 0)
		batchReads := s.readPaths()

		if !reflect.DeepEqual(chunkedRes, batchRes) {
			t.Errorf("chunked sync %+v, one batch %+v", chunkedRes, batchRes)
		}
		if chunkedRes.Characters != len(ids) || chunkedRes.Removed != 1 {
			t.Errorf("sync result %+v: want %d characters, 1 removed", chunkedRes, len(ids))
		}
		if !maps.Equal(chunkedReads, batchReads) {
			t.Errorf("corporations and alliances read in chunks %v, in one batch %v", chunkedReads, batchReads)
		}
		for path, n := range chunkedReads {
			if n != 1 {
				t.Errorf("%s read %d times in one sync", path, n)
			}
		}
		for q, columns := range map[string]int{
			`SELECT id, account_id, COALESCE(corporation_id, 0), COALESCE(alliance_id, 0), COALESCE(faction_id, 0) FROM characters ORDER BY id`: 5,
			`SELECT id, name, ticker, COALESCE(alliance_id, 0), COALESCE(faction_id, 0), expires_at FROM eve_corporations ORDER BY id`:          6,
			`SELECT id, name, ticker, expires_at FROM eve_alliances ORDER BY id`:                                                                4,
			`SELECT account_id, character_id, reason FROM character_removals ORDER BY character_id`:                                             3,
		} {
			a, b := dump(t, db, q, columns), dump(t, batchDB, q, columns)
			if len(a) == 0 || !slices.Equal(a, b) {
				t.Errorf("%s\nin chunks: %v\none batch: %v", q, a, b)
			}
		}
		got := storedAffiliations(t, db)
		for _, id := range moved {
			if want := universeAffiliation(t, u, id); got[id] != want {
				t.Errorf("moved character %d stored %+v, want %+v", id, got[id], want)
			}
		}
		if _, found := got[biomassed]; found {
			t.Errorf("biomassed character %d still stored", biomassed)
		}

		if len(steps) != (len(ids)+36)/37 || len(batchSteps) != 1 {
			t.Fatalf("%d progress steps in chunks, %d in one batch", len(steps), len(batchSteps))
		}
		for i, st := range steps {
			want := int64(min((i+1)*37, len(ids)))
			if st.done != want || st.total != int64(len(ids)) || st.last != ids[want-1] {
				t.Errorf("step %d: %+v, want %d of %d up to %d", i, st, want, len(ids), ids[want-1])
			}
		}
	})
}

// TestSyncResumesAfterTheLastChunkApplied: a sync given After looks up only
// the characters after it, and counts those before as done.
func TestSyncResumesAfterTheLastChunkApplied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSimEVE(t, 900)
		u := s.Universe
		ids := u.CharacterIDs()
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, ids)
		moved, _ := changeUniverse(t, u, ids)
		res, steps := func() (affiliations.SyncResult, []progressStep) {
			var steps []progressStep
			res, err := k.dir.Sync(context.Background(), k.acc, affiliations.SyncOptions{Chunk: 50, After: ids[799],
				Applied: func(done, total int64, last int32) { steps = append(steps, progressStep{done, total, last}) }})
			if err != nil {
				t.Fatal(err)
			}
			return res, steps
		}()
		if res.Characters != 100 || len(steps) != 2 || steps[0] != (progressStep{850, 900, ids[849]}) || steps[1] != (progressStep{900, 900, ids[899]}) {
			t.Errorf("resumed sync: %+v, steps %+v", res, steps)
		}
		got := storedAffiliations(t, db)
		for _, id := range moved {
			want := universeAffiliation(t, u, id)
			if applied := got[id] == want; applied != (id > ids[799]) {
				t.Errorf("character %d (after the cursor: %v) stored %+v, universe %+v", id, id > ids[799], got[id], want)
			}
		}
	})
}

// TestSyncFollowsCharactersAddedAndRemovedDuringTheRun: a character
// removed while a sync runs stays removed; one added after the chunk being
// done is looked up in the same run, one added before it waits for the
// next run.
func TestSyncFollowsCharactersAddedAndRemovedDuringTheRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSimEVE(t, 300)
		u := s.Universe
		all := u.CharacterIDs()
		// Keepstar knows every character but two, one early and one late.
		early, late := all[10], all[250]
		known := slices.DeleteFunc(slices.Clone(all), func(id int32) bool { return id == early || id == late })
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, known)
		corps := playerCorporations(u)
		for _, id := range []int32{early, late, all[200], all[260]} {
			c, _ := u.Character(id)
			to := corps[0]
			if to == c.CorporationID {
				to = corps[1]
			}
			if err := u.MoveCharacter(id, to); err != nil {
				t.Fatal(err)
			}
		}
		removed := all[200]
		owner, _ := u.Character(known[0])
		ctx := context.Background()
		var steps []progressStep
		res, err := k.dir.Sync(ctx, k.acc, affiliations.SyncOptions{Chunk: 50, Applied: func(done, total int64, last int32) {
			steps = append(steps, progressStep{done, total, last})
			if len(steps) != 1 {
				return
			}
			// After the first chunk: a member deletes a character of a
			// later chunk; two are added, before and after the cursor.
			if _, err := db.Exec(ctx, `DELETE FROM characters WHERE id = $1`, removed); err != nil {
				t.Error(err)
			}
			for _, id := range []int32{early, late} {
				addUnaffiliated(t, db, u, id, int64(owner.AccountID))
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		got := storedAffiliations(t, db)
		if _, found := got[removed]; found {
			t.Errorf("character %d removed during the sync is back", removed)
		}
		for _, id := range []int32{all[260], late} {
			if want := universeAffiliation(t, u, id); got[id] != want {
				t.Errorf("character %d: %+v, want %+v", id, got[id], want)
			}
		}
		if got[early] != (affiliation{}) {
			t.Errorf("character %d added before the cursor was looked up in the same run: %+v", early, got[early])
		}
		if res.Characters != len(known)-1+1 {
			t.Errorf("looked up %d characters, want %d (one removed, the late one added)", res.Characters, len(known))
		}
		last := steps[len(steps)-1]
		if last.done != last.total || last.done != int64(len(known)) {
			t.Errorf("last progress step %+v, want %d of %d", last, len(known), len(known))
		}
	})
}

// TestSyncReadsOnlyWhatIsNewChangedOrStale: the first sync reads each
// corporation and alliance once; an hour later nothing is read though
// ESI's answers have expired; after changes only the corporation that is
// new to Keepstar, the one shown in another alliance and the alliance new
// to Keepstar are read; past a day the stale entries are read again,
// spread by their ids.
func TestSyncReadsOnlyWhatIsNewChangedOrStale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 1500)
		u := s.Universe
		// Keepstar knows every character but the members of one alliance
		// (newAlliance) and of one corporation outside it (newCorp).
		alliances := u.Alliances()
		newAlliance := alliances[len(alliances)-1]
		var newCorp, changedCorp int32
		for _, id := range playerCorporations(u) {
			c, _ := u.Corporation(id)
			if c.AllianceID != 0 && c.AllianceID != newAlliance && u.MemberCount(id) > 0 {
				if newCorp == 0 {
					newCorp = id
				} else if changedCorp == 0 {
					changedCorp = id
				}
			}
		}
		var known []int32
		for _, id := range u.CharacterIDs() {
			c, _ := u.Character(id)
			if c.CorporationID != newCorp && u.AllianceOf(c) != newAlliance {
				known = append(known, id)
			}
		}
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, known)

		// First sync: every corporation and alliance of the characters.
		wantCorps, wantAlliances := map[string]int{}, map[string]int{}
		for _, id := range known {
			c, _ := u.Character(id)
			wantCorps[fmt.Sprintf("/corporations/%d", c.CorporationID)] = 1
			if a := u.AllianceOf(c); a != 0 {
				wantAlliances[fmt.Sprintf("/alliances/%d", a)] = 1
			}
		}
		first := s.Clock.Now()
		s.reset()
		res, _ := syncAll(t, k, 0)
		expectReads(t, s, "the first sync", wantCorps, wantAlliances)
		if res.Corporations != len(wantCorps) || res.Alliances != len(wantAlliances) {
			t.Errorf("first sync %+v, want %d corporations and %d alliances read", res, len(wantCorps), len(wantAlliances))
		}
		var expires time.Time
		if err := db.QueryRow(ctx, `SELECT expires_at FROM eve_corporations WHERE id = $1`, changedCorp).Scan(&expires); err != nil {
			t.Fatal(err)
		}
		if !expires.Equal(first.Add(time.Hour)) {
			t.Errorf("corporation stored expiring %v, want ESI's Expires %v", expires, first.Add(time.Hour))
		}

		// An hour later, nothing changed: ESI's answers have expired, the
		// entries are not a day old.
		s.Clock.Advance(61 * time.Minute)
		s.reset()
		syncAll(t, k, 0)
		expectReads(t, s, "an hour later", nil, nil)

		// A character moves into a corporation Keepstar does not know; a
		// corporation it knows joins an alliance it does not know.
		if err := u.MoveCharacter(known[0], newCorp); err != nil {
			t.Fatal(err)
		}
		if err := u.SetCorporationAlliance(changedCorp, newAlliance); err != nil {
			t.Fatal(err)
		}
		s.Clock.Advance(time.Hour)
		s.reset()
		syncAll(t, k, 0)
		nc, _ := u.Corporation(newCorp)
		want := map[string]int{fmt.Sprintf("/alliances/%d", newAlliance): 1}
		if _, known := wantAlliances[fmt.Sprintf("/alliances/%d", nc.AllianceID)]; !known {
			want[fmt.Sprintf("/alliances/%d", nc.AllianceID)] = 1
		}
		expectReads(t, s, "after the changes",
			map[string]int{fmt.Sprintf("/corporations/%d", newCorp): 1, fmt.Sprintf("/corporations/%d", changedCorp): 1}, want)
		var stored int32
		if err := db.QueryRow(ctx, `SELECT alliance_id FROM eve_corporations WHERE id = $1`, changedCorp).Scan(&stored); err != nil || stored != newAlliance {
			t.Errorf("corporation %d stored in alliance %d (%v), want %d", changedCorp, stored, err, newAlliance)
		}
		changedAt := s.Clock.Now()

		// A day after the first sync, the entries then read whose ids give
		// the shortest age limit (id % 16 = 0) are read again.
		s.Clock.Advance(first.Add(24*time.Hour + time.Minute).Sub(s.Clock.Now()))
		dayCorps, dayAlliances := entries(t, db, "eve_corporations", first, 0), entries(t, db, "eve_alliances", first, 0)
		s.reset()
		syncAll(t, k, 0)
		expectReads(t, s, "a day later", dayCorps, dayAlliances)
		if len(dayCorps)+len(dayAlliances) == 0 {
			t.Error("no entry has an id that ends in 0 in base 16: the spread is not tested")
		}

		// Past a day and a quarter, every other entry is read again too.
		s.Clock.Advance(changedAt.Add(30*time.Hour + time.Minute).Sub(s.Clock.Now()))
		restCorps, restAlliances := entries(t, db, "eve_corporations", changedAt, -1), entries(t, db, "eve_alliances", changedAt, -1)
		s.reset()
		syncAll(t, k, 0)
		expectReads(t, s, "a day and a quarter later", restCorps, restAlliances)
	})
}

// entries lists the paths of the entries of table stored at or before a
// time: those whose id % 16 is mod, or all for mod -1.
func entries(t *testing.T, db *store.DB, table string, before time.Time, mod int) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, updated_at FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	prefix := "/corporations/"
	if table == "eve_alliances" {
		prefix = "/alliances/"
	}
	out := map[string]int{}
	for rows.Next() {
		var id int32
		var updated time.Time
		if err := rows.Scan(&id, &updated); err != nil {
			t.Fatal(err)
		}
		if !updated.After(before) && (mod < 0 || int(id%16) == mod) {
			out[fmt.Sprintf("%s%d", prefix, id)] = 1
		}
	}
	return out
}

// expectReads checks the corporations and alliances read since the last
// reset, each path with its count.
func expectReads(t *testing.T, s *simEVE, when string, corps, alliances map[string]int) {
	t.Helper()
	want := map[string]int{}
	maps.Copy(want, corps)
	maps.Copy(want, alliances)
	if got := s.readPaths(); !maps.Equal(got, want) {
		t.Errorf("%s: read %d entries %v, want %d %v", when, len(got), got, len(want), want)
	}
}

// dump gives the rows of a query of columns columns as text.
func dump(t *testing.T, db *store.DB, query string, columns int) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, columns)
		ptrs := make([]any, columns)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				vals[i] = tm.UTC()
			}
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
