package accounts_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// refusals are the answers a random rule may get; any other error fails
// the test.
var refusals = []error{accounts.ErrDeactivated, accounts.ErrAltLogin, accounts.ErrNotOnAccount, accounts.ErrLoggedInCharacter}

func refused(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// After any sequence of logins, adds, sales, merges, main changes,
// deletions, removals, biomassing and deactivations over a few characters
// and owners, every account with characters has exactly one main and is
// named after it, every character is on an existing account, every removal
// names existing accounts, no token of an earlier owner is left, and every
// character's session finds its account exactly while it is active.
func TestRandomRulesKeepInvariants(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		rng := rand.New(rand.NewPCG(20260301, 7))
		owners := []string{"owner-p", "owner-q", "owner-r"}
		var pool []char
		for i := range 8 {
			pool = append(pool, char{int32(96000001 + i), fmt.Sprintf("Pool %c", 'A'+i), ""})
		}
		pick := func() char {
			c := pool[rng.IntN(len(pool))]
			c.owner = owners[rng.IntN(len(owners))]
			return c
		}
		// current gives a known character with its current owner, so that
		// alts and merges happen, not only sales.
		current := func() (char, bool) {
			c := pool[rng.IntN(len(pool))]
			var owner string
			if err := db.QueryRow(e.ctx, `SELECT owner_hash FROM characters WHERE id = $1`, c.id).Scan(&owner); err != nil {
				return c, false
			}
			c.owner = owner
			return c, true
		}
		accountIDs := func() []int64 {
			rows, err := db.Query(e.ctx, `SELECT id FROM accounts ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			return ids
		}
		anAccount := func() int64 {
			ids := accountIDs()
			if len(ids) == 0 {
				return 1
			}
			return ids[rng.IntN(len(ids))]
		}
		counts := map[accounts.Outcome]int{} // what the adds did
		for step := range 300 {
			e.tick()
			var what string
			var err error
			switch op := rng.IntN(20); {
			case op < 5:
				c := pick()
				if known, ok := current(); ok && rng.IntN(2) == 0 {
					c = known
				}
				what = fmt.Sprintf("login %d as %s", c.id, c.owner)
				_, err = e.tryLogin(c, rng.IntN(3) > 0)
			case op < 10:
				c := pick()
				if known, ok := current(); ok && rng.IntN(2) == 0 {
					c = known
				}
				acc := anAccount()
				login := []string{logins.Default, logins.Tracking}[rng.IntN(2)]
				what = fmt.Sprintf("add %d as %s to %d (%s)", c.id, c.owner, acc, login)
				var res accounts.Result
				res, err = e.tryAdd(acc, c, login)
				if errors.Is(err, accounts.ErrNotFound) && len(accountIDs()) == 0 {
					err = nil
				}
				counts[res.Outcome]++
			case op < 12:
				acc, c := anAccount(), pick()
				what = fmt.Sprintf("set main %d of %d", c.id, acc)
				err = e.a.SetMain(e.ctx, acc, c.id)
			case op < 14:
				acc, c, in := anAccount(), pick(), pick()
				what = fmt.Sprintf("member %d deletes %d logged in with %d", acc, c.id, in.id)
				err = e.a.DeleteByMember(e.ctx, acc, c.id, in.id, true)
			case op < 15:
				acc, c, admin := anAccount(), pick(), anAccount()
				what = fmt.Sprintf("admin %d deletes %d of %d", admin, c.id, acc)
				err = e.a.DeleteByAdmin(e.ctx, acc, c.id, admin)
			case op < 16:
				c := pick()
				reason := []accounts.Reason{accounts.DeletedLostAccess, accounts.DeletedOwnerChanged}[rng.IntN(2)]
				what = fmt.Sprintf("remove %d (%s)", c.id, reason)
				err = db.InTx(e.ctx, func(tx *store.Tx) error { return e.a.Remove(e.ctx, tx, c.id, reason) })
			case op < 17:
				c, other := pick(), pick()
				what = fmt.Sprintf("biomass %d", c.id)
				_, err = e.a.ApplyAffiliations(e.ctx, []esi.Affiliation{
					{CharacterID: c.id, CorporationID: esi.DoomheimID},
					{CharacterID: other.id, CorporationID: 98000001 + rng.Int32N(3)},
				})
			default:
				acc, active := anAccount(), rng.IntN(3) > 0
				what = fmt.Sprintf("set active %t of %d", active, acc)
				err = e.a.SetActive(e.ctx, acc, active, 0)
				if errors.Is(err, accounts.ErrNotFound) && len(accountIDs()) == 0 {
					err = nil
				}
			}
			if err != nil && !refused(err) {
				t.Fatalf("step %d, %s: %v", step, what, err)
			}
			if err := e.checkInvariants(); err != nil {
				t.Fatalf("step %d, after %s: %v", step, what, err)
			}
			checkSessions(t, e, step, what)
		}
		// The sequence must have exercised the interesting rules, or it
		// proves little.
		for _, o := range []accounts.Outcome{accounts.Added, accounts.Renewed, accounts.Merged, accounts.MovedHere} {
			if counts[o] == 0 {
				t.Errorf("no add ended %s: %v", o, counts)
			}
		}
		if n := e.count(`SELECT count(*) FROM character_removals`); n < 10 {
			t.Errorf("only %d removals in the whole sequence", n)
		}
	})
}

// checkSessions proves that each character's session with its current
// owner finds the character's account exactly when that account is active.
func checkSessions(t *testing.T, e *env, step int, what string) {
	t.Helper()
	rows, err := e.db.Query(e.ctx, `SELECT c.id, c.owner_hash, c.account_id, a.active FROM characters c JOIN accounts a ON a.id = c.account_id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		c      char
		acc    int64
		active bool
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.c.id, &r.c.owner, &r.acc, &r.active); err != nil {
			rows.Close()
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		v, err := e.viewer(r.c)
		switch {
		case r.active && (err != nil || v.AccountID != r.acc):
			t.Fatalf("step %d, after %s: session of %d: %+v, %v; want account %d", step, what, r.c.id, v, err, r.acc)
		case !r.active && !errors.Is(err, web.ErrNoViewer):
			t.Fatalf("step %d, after %s: session of %d on deactivated account %d: %+v, %v", step, what, r.c.id, r.acc, v, err)
		}
	}
}
