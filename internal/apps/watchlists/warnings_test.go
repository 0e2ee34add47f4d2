package watchlists_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The entities of the constructed universe.
const (
	enemyCorp     = 98000001 // watched
	enemyAlliance = 99000001 // watched; enemyAllianceCorp is in it
	enemyAllCorp  = 98000002
	homeCorp      = 98000010 // neither watched nor allowlisted
	friendCorp    = 98000020 // allowlisted
	friendAlly    = 99000020 // allowlisted alliance
	friendAllyCrp = 98000021
	kickCorp      = 98000030 // kicklist
	kickAlliance  = 99000030 // kicklist alliance
	kickAllyCorp  = 98000031
	npcCorp       = 1000167 // an NPC corporation (the starter ones)
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWarningListAndKicklist(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := &builder{db: db}
		w := create(t, db, "Enemies")
		other := create(t, db, "Other")
		for _, e := range []struct {
			list, kind string
			id         int64
		}{
			{watchlists.ListWatched, watchlists.KindCorporation, enemyCorp},
			{watchlists.ListWatched, watchlists.KindAlliance, enemyAlliance},
			{watchlists.ListAllowlist, watchlists.KindCorporation, friendCorp},
			{watchlists.ListAllowlist, watchlists.KindAlliance, friendAlly},
			{watchlists.ListKicklist, watchlists.KindCorporation, kickCorp},
			{watchlists.ListKicklist, watchlists.KindAlliance, kickAlliance},
		} {
			must(t, watchlists.AddEntity(ctx, db, w.ID, e.list, e.kind, e.id))
		}
		// The other list watches the home corporation: nothing of it shows
		// in the first.
		must(t, watchlists.AddEntity(ctx, db, other.ID, watchlists.ListWatched, watchlists.KindCorporation, homeCorp))

		spy := b.account(t, ch{homeCorp, 0}, ch{enemyCorp, 0})
		allianceSpy := b.account(t, ch{enemyAllCorp, enemyAlliance}, ch{homeCorp, 0})
		onlyEnemy := b.account(t, ch{enemyCorp, 0}, ch{enemyAllCorp, enemyAlliance})
		enemyAndNPC := b.account(t, ch{enemyCorp, 0}, ch{npcCorp, 0})
		enemyAndFriend := b.account(t, ch{enemyCorp, 0}, ch{friendCorp, 0}, ch{friendAllyCrp, friendAlly})
		exempt := b.account(t, ch{enemyCorp, 0}, ch{homeCorp, 0})
		kicked := b.account(t, ch{enemyCorp, 0}, ch{kickCorp, 0})
		kickedByAlliance := b.account(t, ch{homeCorp, 0}, ch{enemyCorp, 0}, ch{kickAllyCorp, kickAlliance})
		kickOnly := b.account(t, ch{homeCorp, 0}, ch{kickCorp, 0})
		b.account(t, ch{homeCorp, 0})
		b.account(t, ch{enemyCorp, 0})
		must(t, watchlists.AddExemption(ctx, db, w.ID, exempt))

		got, err := watchlists.Warnings(ctx, db, w.ID)
		must(t, err)
		// onlyEnemy, enemyAndNPC and enemyAndFriend have no character in a
		// player corporation neither watched nor allowlisted; kickOnly none
		// in a watched one.
		if want := []int64{spy, allianceSpy}; !slices.Equal(got, want) {
			t.Errorf("warning list = %v, want %v", got, want)
		}
		for _, id := range []int64{onlyEnemy, enemyAndNPC, enemyAndFriend, kickOnly} {
			if slices.Contains(got, id) {
				t.Errorf("account %d warned of", id)
			}
		}
		got, err = watchlists.Kicklist(ctx, db, w.ID)
		must(t, err)
		if want := []int64{kicked, kickedByAlliance}; !slices.Equal(got, want) {
			t.Errorf("kicklist = %v, want %v", got, want)
		}

		// The exemption ends: the account is warned of again.
		must(t, watchlists.RemoveExemption(ctx, db, w.ID, exempt))
		got, err = watchlists.Warnings(ctx, db, w.ID)
		must(t, err)
		if want := []int64{spy, allianceSpy, exempt}; !slices.Equal(got, want) {
			t.Errorf("warning list without the exemption = %v, want %v", got, want)
		}
		// The home corporation allowlisted: only the kicklist remains.
		must(t, watchlists.AddEntity(ctx, db, w.ID, watchlists.ListAllowlist, watchlists.KindCorporation, homeCorp))
		got, err = watchlists.Warnings(ctx, db, w.ID)
		must(t, err)
		if len(got) != 0 {
			t.Errorf("warning list with the home corporation allowlisted = %v, want none", got)
		}
		got, err = watchlists.Kicklist(ctx, db, w.ID)
		must(t, err)
		// kickedByAlliance's character in the kicklist alliance is still in
		// a corporation neither watched nor allowlisted.
		if want := []int64{kicked, kickedByAlliance}; !slices.Equal(got, want) {
			t.Errorf("kicklist with home allowlisted = %v, want %v", got, want)
		}

		accounts, err := watchlists.AccountsOf(ctx, db, []int64{spy})
		must(t, err)
		if len(accounts) != 1 || len(accounts[0].Characters) != 2 || !accounts[0].Characters[0].Main {
			t.Errorf("accounts = %+v", accounts)
		}

		// A deleted list takes its entities along.
		must(t, watchlists.Delete(ctx, db, w.ID))
		if _, err := watchlists.Get(ctx, db, w.ID); !errors.Is(err, watchlists.ErrNotFound) {
			t.Errorf("deleted list read: %v", err)
		}
		if err := watchlists.AddEntity(ctx, db, other.ID, "denylist", watchlists.KindCorporation, 1); !errors.Is(err, watchlists.ErrInvalid) {
			t.Errorf("unknown list accepted: %v", err)
		}
	})
}
