package affiliations_test

import (
	"context"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// A stored id that ESI does not know as a character makes ESI refuse the
// whole chunk of affiliations it is in. The sync isolates it: every other
// character of the chunk is moved as ESI says, the bad id keeps its account
// and last known affiliation, is recorded and listed, is left out of later
// bulk lookups, and is asked about alone once a day.
func TestSyncIsolatesIDsESIDoesNotKnow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 600)
		u := s.Universe
		ids := u.CharacterIDs()
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, ids)
		// A character Keepstar holds whose id ESI refuses (bad data).
		const bogus = 2_100_000_007
		if _, err := db.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at)
			SELECT $1, account_id, 'Ghost Pilot', 'x', FALSE, corporation_id, alliance_id, created_at FROM characters WHERE id = $2`,
			bogus, ids[0]); err != nil {
			t.Fatal(err)
		}
		before := storedAffiliations(t, db)[bogus]
		moved, _ := changeUniverse(t, u, ids)

		s.reset()
		res, _ := syncAll(t, k, 0) // one chunk: the bad id is among all the others
		if res.Unknown != 1 || len(res.UnknownIDs) != 1 || res.UnknownIDs[0] != bogus {
			t.Errorf("sync result %+v: want the bad id reported", res)
		}
		got := storedAffiliations(t, db)
		for _, id := range moved {
			if want := universeAffiliation(t, u, id); got[id] != want {
				t.Fatalf("moved character %d stored %+v, want %+v: its chunk was dropped", id, got[id], want)
			}
		}
		if got[bogus] != before {
			t.Errorf("the unknown character's affiliation became %+v, want its last known %+v", got[bogus], before)
		}
		list, total, err := affiliations.Unknown(ctx, db, 10)
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != bogus || list[0].Name != "Ghost Pilot" ||
			!list[0].Since.Equal(s.Clock.Now()) {
			t.Fatalf("unknown characters %+v (%d), %v", list, total, err)
		}

		// The next sync leaves it out of the bulk lookups: one request, no 404.
		s.reset()
		res, _ = syncAll(t, k, 0)
		if calls, ok := s.counts("affiliation"); calls != 1 || ok != 1 || res.Unknown != 0 {
			t.Errorf("second sync: %d affiliation calls (%d ok), result %+v; want one good call", calls, ok, res)
		}

		// A day later it is asked about alone, and stays recorded.
		s.Clock.Advance(25 * time.Hour)
		s.reset()
		res, _ = syncAll(t, k, 0)
		if calls, ok := s.counts("affiliation"); calls != 2 || ok != 1 || res.Unknown != 1 {
			t.Errorf("a day later: %d affiliation calls (%d ok), result %+v; want the bulk call and one alone", calls, ok, res)
		}
		if _, total, _ := affiliations.Unknown(ctx, db, 10); total != 1 {
			t.Errorf("%d unknown characters, want 1", total)
		}
		var accounts int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM characters WHERE id = $1`, bogus).Scan(&accounts); err != nil || accounts != 1 {
			t.Errorf("the unknown character was removed (%d, %v)", accounts, err)
		}
	})
}

// A character recorded as unknown (ESI having a bad moment) that ESI knows
// again is applied and no longer recorded.
func TestSyncForgetsUnknownOnceESIKnowsIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 600)
		u := s.Universe
		ids := u.CharacterIDs()
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, ids)
		moved, _ := changeUniverse(t, u, ids)
		id := moved[0]
		if _, err := db.Exec(ctx, `UPDATE characters SET esi_unknown_since = $1, esi_unknown_checked_at = $1 WHERE id = $2`,
			s.Clock.Now(), id); err != nil {
			t.Fatal(err)
		}
		syncAll(t, k, 0)
		if got, want := storedAffiliations(t, db)[id], universeAffiliation(t, u, id); got == want {
			t.Fatalf("recorded character %d moved within the day: %+v", id, got)
		}
		s.Clock.Advance(25 * time.Hour)
		res, _ := syncAll(t, k, 0)
		if res.Known != 1 || res.Unknown != 0 {
			t.Errorf("sync result %+v: want one known again", res)
		}
		if got, want := storedAffiliations(t, db)[id], universeAffiliation(t, u, id); got != want {
			t.Errorf("character %d stored %+v, want %+v", id, got, want)
		}
		if _, total, _ := affiliations.Unknown(ctx, db, 10); total != 0 {
			t.Errorf("%d unknown characters, want 0", total)
		}
	})
}
