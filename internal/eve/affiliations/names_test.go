package affiliations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Names change in EVE: a character renamed in game, a corporation or an
// alliance renamed by CCP. The affiliation sync keeps Keepstar's names
// current within ESI's cache times (a day for characters), through the
// bulk names route, and without a request more than the names due.
func TestSyncKeepsNamesCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSimEVE(t, 600)
		u := s.Universe
		ids := u.CharacterIDs()
		k := newKeepstar(t, s, db, 0)
		addCharacters(t, db, u, ids)
		var main int32
		var account int64
		if err := db.QueryRow(ctx, `SELECT id, account_id FROM characters WHERE main ORDER BY id LIMIT 1`).Scan(&main, &account); err != nil {
			t.Fatal(err)
		}
		accountName := func() string {
			var n string
			if err := db.QueryRow(ctx, `SELECT name FROM accounts WHERE id = $1`, account).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		rename := func(name string) {
			s.control(t, fmt.Sprintf("/control/characters/%d/rename", main), map[string]string{"name": name})
		}

		rename("Freshly Renamed")
		s.reset()
		res, _ := syncAll(t, k, 0)
		if calls, _ := s.counts("names"); calls != (len(ids)+999)/1000 || res.NamesChecked != len(ids) || res.Renamed != 1 {
			t.Errorf("first sync: %d names calls, result %+v; want every name checked, one renamed", calls, res)
		}
		if c, err := k.acc.CharacterByName(ctx, "Freshly Renamed"); err != nil || c.ID != main {
			t.Errorf("look-up by the new name: %+v, %v", c, err)
		}
		if got := accountName(); got != "Freshly Renamed" {
			t.Errorf("the account of the renamed main is called %q", got)
		}

		// Within the day no name is asked for again.
		rename("Renamed Twice")
		corp := universeAffiliation(t, u, main).corporation
		alliance := u.Alliances()[0]
		s.control(t, fmt.Sprintf("/control/corporations/%d/rename", corp), map[string]string{"name": "Renamed Holdings", "ticker": "RNMD"})
		s.control(t, fmt.Sprintf("/control/alliances/%d/rename", alliance), map[string]string{"name": "Renamed Coalition", "ticker": "RCOA"})
		s.Clock.Advance(time.Hour)
		s.reset()
		res, _ = syncAll(t, k, 0)
		if calls, _ := s.counts("names"); calls != 0 || res.Renamed != 0 {
			t.Errorf("an hour later: %d names calls, result %+v; want none", calls, res)
		}

		// A day (and its spread) later every name is current again.
		s.Clock.Advance(30 * time.Hour)
		res, _ = syncAll(t, k, 0)
		if res.Renamed != 1 || accountName() != "Renamed Twice" {
			t.Errorf("a day later: result %+v, account %q", res, accountName())
		}
		var name, ticker string
		if err := db.QueryRow(ctx, `SELECT name, ticker FROM eve_corporations WHERE id = $1`, corp).Scan(&name, &ticker); err != nil ||
			name != "Renamed Holdings" || ticker != "RNMD" {
			t.Errorf("corporation %q [%s], %v", name, ticker, err)
		}
		if err := db.QueryRow(ctx, `SELECT name, ticker FROM eve_alliances WHERE id = $1`, alliance).Scan(&name, &ticker); err != nil ||
			name != "Renamed Coalition" || ticker != "RCOA" {
			t.Errorf("alliance %q [%s], %v", name, ticker, err)
		}
	})
}
