package accounts_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// SetMain makes one of the account's characters its main, the only one,
// and names the account after it; a character not on the account is
// refused.
func TestSetMain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy, ann, ada)
		other := e.account(bob)
		if err := e.a.SetMain(e.ctx, id, ada.id); err != nil {
			t.Fatal(err)
		}
		if got := e.mains(id); !slices.Equal(got, []int32{ada.id}) {
			t.Errorf("mains %v", got)
		}
		if acc := e.get(id); acc.MainID != ada.id || acc.Name != ada.name {
			t.Errorf("account %+v", acc)
		}
		if err := e.a.SetMain(e.ctx, id, ada.id); err != nil {
			t.Errorf("main again: %v", err)
		}
		if got := e.mains(id); !slices.Equal(got, []int32{ada.id}) {
			t.Errorf("mains after setting the main again %v", got)
		}
		before := e.snapshot()
		for _, c := range []int32{bob.id, 12345} {
			if err := e.a.SetMain(e.ctx, id, c); !errors.Is(err, accounts.ErrNotOnAccount) {
				t.Errorf("main %d: %v, want ErrNotOnAccount", c, err)
			}
		}
		e.unchanged(before)
		if got := e.mains(other); !slices.Equal(got, []int32{bob.id}) {
			t.Errorf("other account's mains %v", got)
		}
		// The alt that logs in when alts may not is the new main.
		if _, err := e.tryLogin(ada, false); err != nil {
			t.Errorf("login of the new main: %v", err)
		}
		if _, err := e.tryLogin(amy, false); !errors.Is(err, accounts.ErrAltLogin) {
			t.Errorf("login of the former main: %v, want ErrAltLogin", err)
		}
	})
}

// DeleteByMember's refusals, in the order the rule checks them, change
// nothing.
func TestDeleteByMemberRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		character int32
		loggedIn  int32
		allowed   bool
		want      error
	}{
		{"setting off", ann.id, amy.id, false, accounts.ErrDeletionOff},
		{"setting off, logged-in character", amy.id, amy.id, false, accounts.ErrDeletionOff},
		{"the logged-in character", ann.id, ann.id, true, accounts.ErrLoggedInCharacter},
		{"another account's character", bob.id, amy.id, true, accounts.ErrNotOnAccount},
		{"unknown character", 12345, amy.id, true, accounts.ErrNotOnAccount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				t.Parallel()
				e := newEnv(t, db)
				id := e.account(amy, ann)
				e.account(bob)
				before := e.snapshot()
				e.tick()
				if err := e.a.DeleteByMember(e.ctx, id, tc.character, tc.loggedIn, tc.allowed); !errors.Is(err, tc.want) {
					t.Fatalf("delete: %v, want %v", err, tc.want)
				}
				e.unchanged(before)
			})
		})
	}
}

// A member deletes a character of their account: it and its tokens go, the
// removal names the account as who did it, no notification is sent, and a
// deleted main is replaced by the oldest character left.
func TestDeleteByMember(t *testing.T) {
	t.Parallel()
	for _, deleted := range []char{ann, amy} {
		t.Run(deleted.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				t.Parallel()
				e := newEnv(t, db)
				id := e.account(amy, ann, ada)
				e.saveToken(deleted, logins.Tracking)
				e.tick()
				if err := e.a.DeleteByMember(e.ctx, id, deleted.id, cid.id, true); err != nil {
					t.Fatal(err)
				}
				if _, err := e.a.Character(e.ctx, deleted.id); !errors.Is(err, accounts.ErrNotFound) {
					t.Errorf("deleted character: %v", err)
				}
				if got := e.tokenOwners(deleted.id); len(got) != 0 {
					t.Errorf("tokens left %v", got)
				}
				want := []removal{{account: id, character: deleted.id, reason: accounts.DeletedManually, by: id}}
				if got := e.removalsOf(deleted.id); !slices.Equal(got, want) {
					t.Errorf("removals %+v, want %+v", got, want)
				}
				rs := e.removals(id)
				if len(rs) != 1 || rs[0].RemovedByName != e.get(id).Name || rs[0].CharacterName != deleted.name || !rs[0].RemovedAt.Equal(e.clock.Now()) {
					t.Errorf("removals %+v", rs)
				}
				wantMain := amy
				if deleted == amy {
					wantMain = ann
				}
				if acc := e.get(id); acc.MainID != wantMain.id || acc.Name != wantMain.name {
					t.Errorf("account %+v, want main %d", acc, wantMain.id)
				}
				if ns := e.notices(id); len(ns) != 0 {
					t.Errorf("notifications %+v", ns)
				}
				if _, err := e.viewer(deleted); !errors.Is(err, web.ErrNoViewer) {
					t.Errorf("session of the deleted character: %v", err)
				}
				e.mustInvariants()
			})
		})
	}
}

// An admin deletes a character: the removal names the admin, and the
// member is told.
func TestDeleteByAdmin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		admin := e.account(cid)
		id := e.account(amy, ann)
		e.tick()
		if err := e.a.DeleteByAdmin(e.ctx, id, amy.id, admin); err != nil {
			t.Fatal(err)
		}
		want := []removal{{account: id, character: amy.id, reason: accounts.DeletedByAdmin, by: admin}}
		if got := e.removalsOf(amy.id); !slices.Equal(got, want) {
			t.Errorf("removals %+v, want %+v", got, want)
		}
		if rs := e.removals(id); len(rs) != 1 || rs[0].RemovedByName != cid.name || rs[0].AccountName != ann.name {
			t.Errorf("removals %+v", rs)
		}
		if acc := e.get(id); acc.MainID != ann.id || acc.Name != ann.name {
			t.Errorf("account %+v", acc)
		}
		ns := e.notices(id)
		if len(ns) != 1 || ns[0].TitleKey != "accounts.notice.removed.title" || ns[0].MessageKey != "accounts.notice.removed.deleted-by-admin" || ns[0].Args["Character"] != amy.name ||
			!ns[0].Security {
			t.Errorf("notifications %+v", ns)
		}
		if got := e.tokenOwners(amy.id); len(got) != 0 {
			t.Errorf("tokens left %v", got)
		}
		before := e.snapshot()
		if err := e.a.DeleteByAdmin(e.ctx, admin, ann.id, admin); !errors.Is(err, accounts.ErrNotOnAccount) {
			t.Errorf("delete from the wrong account: %v", err)
		}
		e.unchanged(before)
		e.mustInvariants()
	})
}

// When the main leaves, the main is the character added first and, among
// characters added at the same moment, the lowest id.
func TestNewMainIsOldestThenLowestID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy)
		high, low, later := char{90000300, "High Id", amy.owner}, char{90000200, "Low Id", amy.owner}, char{90000100, "Later", amy.owner}
		// high and low at the same moment, later a second after.
		e.tick()
		for _, c := range []char{high, low} {
			if _, err := e.a.AddCharacter(e.ctx, id, e.token(c), logins.Default); err != nil {
				t.Fatal(err)
			}
		}
		e.add(id, later)
		if err := e.a.DeleteByAdmin(e.ctx, id, amy.id, id); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); acc.MainID != low.id || acc.Name != low.name {
			t.Fatalf("main %d %q, want %d", acc.MainID, acc.Name, low.id)
		}
		if err := e.a.DeleteByAdmin(e.ctx, id, low.id, id); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); acc.MainID != high.id {
			t.Fatalf("main %d, want %d (older than %d)", acc.MainID, high.id, later.id)
		}
		if err := e.a.DeleteByAdmin(e.ctx, id, high.id, id); err != nil {
			t.Fatal(err)
		}
		if err := e.a.DeleteByAdmin(e.ctx, id, later.id, id); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); acc.MainID != 0 || acc.Name != later.name {
			t.Errorf("empty account %+v, want no main and its last name", acc)
		}
	})
}

// Remove takes a character off its account in the caller's transaction
// for a check's reason; an unknown character is no error, and a rolled
// back transaction leaves everything as it was.
func TestRemoveForJobs(t *testing.T) {
	t.Parallel()
	for _, reason := range []accounts.Reason{accounts.DeletedOwnerChanged, accounts.DeletedLostAccess} {
		t.Run(string(reason), func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				t.Parallel()
				e := newEnv(t, db)
				id := e.account(amy, ann)
				e.tick()

				before := e.snapshot()
				errAbort := errors.New("abort")
				err := db.InTx(e.ctx, func(tx *store.Tx) error {
					if err := e.a.Remove(e.ctx, tx, amy.id, reason); err != nil {
						return err
					}
					return errAbort
				})
				if !errors.Is(err, errAbort) {
					t.Fatalf("remove in an aborted transaction: %v", err)
				}
				e.unchanged(before)

				if err := db.InTx(e.ctx, func(tx *store.Tx) error {
					if err := e.a.Remove(e.ctx, tx, 12345, reason); err != nil {
						return fmt.Errorf("unknown character: %w", err)
					}
					return e.a.Remove(e.ctx, tx, amy.id, reason)
				}); err != nil {
					t.Fatal(err)
				}
				want := []removal{{account: id, character: amy.id, reason: reason}}
				if got := e.removalsOf(amy.id); !slices.Equal(got, want) {
					t.Errorf("removals %+v, want %+v", got, want)
				}
				if acc := e.get(id); acc.MainID != ann.id || acc.Name != ann.name {
					t.Errorf("account %+v", acc)
				}
				if got := e.tokenOwners(amy.id); len(got) != 0 {
					t.Errorf("tokens left %v", got)
				}
				if ns := e.notices(id); len(ns) != 1 || ns[0].MessageKey != "accounts.notice.removed."+string(reason) {
					t.Errorf("notifications %+v", ns)
				}
				e.mustInvariants()
			})
		})
	}
}

// ApplyAffiliations records corporations, alliances and factions (none is
// NULL), removes biomassed characters with their reason and gives their
// ids, and ignores characters Keepstar does not know.
func TestApplyAffiliations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy, ann, ada)
		other := e.account(bob, ben)
		if _, err := db.Exec(e.ctx, `UPDATE characters SET corporation_id = 5, alliance_id = 6, faction_id = 7 WHERE id = $1`, ben.id); err != nil {
			t.Fatal(err)
		}
		e.tick()
		removed, err := e.a.ApplyAffiliations(e.ctx, []esi.Affiliation{
			{CharacterID: amy.id, CorporationID: esi.DoomheimID},
			{CharacterID: ann.id, CorporationID: 98000001, AllianceID: 99000001},
			{CharacterID: ada.id, CorporationID: 98000001, AllianceID: 99000001},
			{CharacterID: bob.id, CorporationID: 98000002, FactionID: 500001},
			{CharacterID: ben.id, CorporationID: 98000003},
			{CharacterID: 12345, CorporationID: esi.DoomheimID},
			{CharacterID: 12346, CorporationID: 98000001},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(removed, []int32{amy.id}) {
			t.Errorf("removed %v, want %d", removed, amy.id)
		}
		want := map[int32][3]int32{
			ann.id: {98000001, 99000001, 0},
			ada.id: {98000001, 99000001, 0},
			bob.id: {98000002, 0, 500001},
			ben.id: {98000003, 0, 0},
		}
		for cid, w := range want {
			c, err := e.a.Character(e.ctx, cid)
			if err != nil || [3]int32{c.CorporationID, c.AllianceID, c.FactionID} != w {
				t.Errorf("character %d: %+v, %v; want %v", cid, c, err, w)
			}
		}
		if n := e.count(`SELECT count(*) FROM characters WHERE id = $1 AND alliance_id IS NULL AND faction_id IS NULL`, ben.id); n != 1 {
			t.Errorf("alliance and faction of %d not cleared to NULL", ben.id)
		}
		if got := e.removalsOf(amy.id); !slices.Equal(got, []removal{{account: id, character: amy.id, reason: accounts.DeletedBiomassed}}) {
			t.Errorf("removals %+v", got)
		}
		if acc := e.get(id); acc.MainID != ann.id {
			t.Errorf("main %d, want %d", acc.MainID, ann.id)
		}
		if ns := e.notices(id); len(ns) != 1 || ns[0].MessageKey != "accounts.notice.removed.deleted-biomassed" {
			t.Errorf("notifications %+v", ns)
		}
		if got := e.ids(other); !slices.Equal(got, []int32{bob.id, ben.id}) {
			t.Errorf("other account %v", got)
		}
		if n := e.count(`SELECT count(*) FROM characters`); n != 4 {
			t.Errorf("%d characters, want 4", n)
		}
		e.mustInvariants()
	})
}

// Affiliations of more characters than one statement takes reach every
// one of them.
func TestApplyAffiliationsInChunks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy)
		const n = 1203
		var affs []esi.Affiliation
		if err := db.InTx(e.ctx, func(tx *store.Tx) error {
			for i := range int32(n) {
				if _, err := tx.Exec(e.ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, created_at)
					VALUES ($1, $2, $3, $4, FALSE, $5)`, 10000+i, id, fmt.Sprintf("Bulk %d", i), amy.owner, e.clock.Now()); err != nil {
					return err
				}
				affs = append(affs, esi.Affiliation{CharacterID: 10000 + i, CorporationID: 98000000 + i%2, AllianceID: 99000000})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.a.ApplyAffiliations(e.ctx, affs); err != nil {
			t.Fatal(err)
		}
		if got := e.count(`SELECT count(*) FROM characters WHERE alliance_id = 99000000 AND corporation_id = 98000000 + (id % 2)`); got != n {
			t.Errorf("%d of %d characters updated", got, n)
		}
	})
}

// SetActive deactivates an account, recording when and by whom, which ends
// its sessions and logins; activating clears the record.
func TestSetActive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		admin := e.account(cid)
		id := e.account(amy, ann)
		e.tick()
		at := e.clock.Now()
		if err := e.a.SetActive(e.ctx, id, false, admin); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); acc.Active || !acc.DeactivatedAt.Equal(at) || acc.DeactivatedBy != admin {
			t.Errorf("deactivated account %+v", acc)
		}
		for _, c := range []char{amy, ann} {
			if _, err := e.viewer(c); !errors.Is(err, web.ErrNoViewer) {
				t.Errorf("session of %d on a deactivated account: %v", c.id, err)
			}
		}
		e.tick()
		if err := e.a.SetActive(e.ctx, id, false, 0); err != nil {
			t.Errorf("deactivate again: %v", err)
		}
		if acc := e.get(id); !acc.DeactivatedAt.Equal(at) || acc.DeactivatedBy != admin {
			t.Errorf("deactivating again changed the record: %+v", acc)
		}
		if err := e.a.SetActive(e.ctx, id, true, admin); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); !acc.Active || !acc.DeactivatedAt.IsZero() || acc.DeactivatedBy != 0 {
			t.Errorf("activated account %+v", acc)
		}
		if v, err := e.viewer(amy); err != nil || v.AccountID != id {
			t.Errorf("session after activation: %+v, %v", v, err)
		}
		for _, active := range []bool{true, false} {
			if err := e.a.SetActive(e.ctx, 4242, active, admin); !errors.Is(err, accounts.ErrNotFound) {
				t.Errorf("set active %t of a missing account: %v", active, err)
			}
		}
	})
}

// SetStatus takes standard or managed and nothing else.
func TestSetStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status  accounts.Status
		account int64 // 0: the test's account
		want    error
	}{
		{accounts.Managed, 0, nil},
		{accounts.Standard, 0, nil},
		{"", 0, accounts.ErrBadStatus},
		{"Managed", 0, accounts.ErrBadStatus},
		{"deactivated", 0, accounts.ErrBadStatus},
		{accounts.Managed, 4242, accounts.ErrNotFound},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy)
		for _, tc := range cases {
			acc := tc.account
			if acc == 0 {
				acc = id
			}
			before := e.get(id).Status
			err := e.a.SetStatus(e.ctx, acc, tc.status)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("status %q of %d: %v, want %v", tc.status, acc, err, tc.want)
			}
			want := before
			if tc.want == nil {
				want = tc.status
			}
			if got := e.get(id).Status; got != want {
				t.Errorf("after status %q: %q, want %q", tc.status, got, want)
			}
		}
	})
}

// SetRoles gives exactly the roles and the superuser flag, or nothing at
// all when a role is unknown.
func TestSetRoles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy)
		other := e.account(bob)
		if err := e.a.SetRoles(e.ctx, other, []string{access.RoleESI}, false); err != nil {
			t.Fatal(err)
		}
		if err := e.a.SetRoles(e.ctx, id, []string{access.RoleUserAdmin, access.RoleGroupAdmin}, true); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); !acc.Superuser || !slices.Equal(acc.Roles, []string{access.RoleGroupAdmin, access.RoleUserAdmin}) {
			t.Errorf("account %+v", acc)
		}
		if err := e.a.SetRoles(e.ctx, id, []string{access.RoleSettings}, false); err != nil {
			t.Fatal(err)
		}
		if acc := e.get(id); acc.Superuser || !slices.Equal(acc.Roles, []string{access.RoleSettings}) {
			t.Errorf("account after replacing %+v", acc)
		}
		if err := e.a.SetRoles(e.ctx, id, []string{access.RoleUserAdmin, "emperor"}, true); !errors.Is(err, access.ErrUnknownRole) {
			t.Errorf("unknown role: %v", err)
		}
		if acc := e.get(id); acc.Superuser || !slices.Equal(acc.Roles, []string{access.RoleSettings}) {
			t.Errorf("a refused change changed the account: %+v", acc)
		}
		if err := e.a.SetRoles(e.ctx, 4242, []string{access.RoleESI}, false); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("missing account: %v", err)
		}
		if acc := e.get(other); !slices.Equal(acc.Roles, []string{access.RoleESI}) || acc.Superuser {
			t.Errorf("other account %+v", acc)
		}
		if v, err := e.viewer(amy); err != nil || !slices.Equal(v.Roles, []string{access.RoleSettings}) {
			t.Errorf("viewer %+v, %v", v, err)
		}
	})
}

// GrantSuperuser and RevokeSuperuser find the account by a character's id
// or name, whatever its case, and nothing else.
func TestGrantAndRevokeSuperuser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		character string
		want      error
	}{
		{"id", fmt.Sprint(ann.id), nil},
		{"name", ann.name, nil},
		{"name in capitals", "ANN ALPHA", nil},
		{"name in small letters with spaces", "  ann alpha ", nil},
		{"unknown name", "Nobody", accounts.ErrNotFound},
		{"unknown id", "12345", accounts.ErrNotFound},
		{"part of a name", "Ann", accounts.ErrNotFound},
		{"empty", " ", accounts.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				t.Parallel()
				e := newEnv(t, db)
				id := e.account(amy, ann)
				other := e.account(bob)
				acc, c, err := e.a.GrantSuperuser(e.ctx, tc.character)
				if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
					t.Fatalf("grant: %v, want %v", err, tc.want)
				}
				if tc.want != nil {
					if e.get(id).Superuser || e.get(other).Superuser {
						t.Error("a refused grant made an account superuser")
					}
					if _, _, err := e.a.RevokeSuperuser(e.ctx, tc.character); !errors.Is(err, tc.want) {
						t.Errorf("revoke: %v, want %v", err, tc.want)
					}
					return
				}
				if acc.ID != id || !acc.Superuser || c.ID != ann.id {
					t.Errorf("grant: %+v, %+v", acc, c)
				}
				if !e.get(id).Superuser || e.get(other).Superuser {
					t.Error("superuser went to the wrong account")
				}
				acc, c, err = e.a.RevokeSuperuser(e.ctx, tc.character)
				if err != nil || acc.ID != id || acc.Superuser || c.ID != ann.id {
					t.Errorf("revoke: %+v, %+v, %v", acc, c, err)
				}
				if e.get(id).Superuser {
					t.Error("still superuser")
				}
			})
		})
	}
}

// Characters are read back with their corporations' and alliances' names.
func TestCharactersCarryAffiliationNames(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy, ann)
		now := e.clock.Now().Add(time.Hour)
		if _, err := db.Exec(e.ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES (98000001, 'Corp One', 'C1', $1)`, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(e.ctx, `INSERT INTO eve_alliances (id, name, ticker, updated_at) VALUES (99000001, 'Alliance One', 'A1', $1)`, now); err != nil {
			t.Fatal(err)
		}
		if _, err := e.a.ApplyAffiliations(e.ctx, []esi.Affiliation{{CharacterID: ann.id, CorporationID: 98000001, AllianceID: 99000001}}); err != nil {
			t.Fatal(err)
		}
		cs := e.chars(id)
		if len(cs) != 2 || cs[0].ID != amy.id {
			t.Fatalf("characters %+v, want the main first", cs)
		}
		if c := cs[1]; c.CorporationName != "Corp One" || c.CorporationTicker != "C1" || c.AllianceName != "Alliance One" || c.AllianceTicker != "A1" {
			t.Errorf("alt %+v", c)
		}
		if c := cs[0]; c.CorporationID != 0 || c.CorporationName != "" || c.AllianceName != "" {
			t.Errorf("main %+v", c)
		}
	})
}
