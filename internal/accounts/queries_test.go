package accounts_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// Viewer finds a session's member only while the character has the owner
// it logged in with and the account is active.
func TestViewer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy, ann)
		if err := e.a.SetRoles(e.ctx, id, []string{access.RoleUserAdmin}, false); err != nil {
			t.Fatal(err)
		}
		if err := e.a.SetPreferences(e.ctx, id, "de", "dark"); err != nil {
			t.Fatal(err)
		}
		v, err := e.viewer(ann)
		if err != nil {
			t.Fatal(err)
		}
		want := web.Viewer{AccountID: id, CharacterID: ann.id, MainID: amy.id, Name: amy.name, Roles: []string{access.RoleUserAdmin}, Language: "de", Theme: "dark"}
		if v.AccountID != want.AccountID || v.CharacterID != want.CharacterID || v.MainID != want.MainID || v.Name != want.Name ||
			v.Superuser || !slices.Equal(v.Roles, want.Roles) || v.Language != want.Language || v.Theme != want.Theme {
			t.Errorf("viewer %+v, want %+v", *v, want)
		}
		for _, c := range []char{sold(ann), {12345, "Nobody", amy.owner}, {ann.id, ann.name, ""}} {
			if v, err := e.viewer(c); !errors.Is(err, web.ErrNoViewer) || v != nil {
				t.Errorf("session of %d owned by %q: %+v, %v; want ErrNoViewer", c.id, c.owner, v, err)
			}
		}
	})
}

// Search finds accounts by a part of any character's name, by account id
// (with or without #) and by character id, and reads wildcards literally.
func TestSearch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		zedx := char{90000031, "Zed_x Echo", "owner-z"}
		zedax := char{90000032, "Zedax Echo", "owner-y"}
		pct := char{90000033, "Hundred% Echo", "owner-x"}
		first := e.account(amy, zedx)
		second := e.account(zedax, bob)
		third := e.account(pct)
		if err := e.a.SetActive(e.ctx, third, false, 0); err != nil {
			t.Fatal(err)
		}
		type hit struct {
			id      int64
			matched string
		}
		cases := []struct {
			text  string
			limit int
			want  []hit
		}{
			{"amy", 10, []hit{{first, ""}}},
			{"AMY alpha", 10, []hit{{first, ""}}},
			{"bravo", 10, []hit{{second, bob.name}}},
			{"d_x", 10, []hit{{first, zedx.name}}},
			{"d%x", 10, nil},
			{"%", 10, []hit{{third, ""}}},
			{"echo", 10, []hit{{first, zedx.name}, {third, ""}, {second, ""}}},
			{"echo", 2, []hit{{first, zedx.name}, {third, ""}}},
			{fmt.Sprint(second), 10, []hit{{second, ""}}},
			{fmt.Sprintf("#%d", third), 10, []hit{{third, ""}}},
			{fmt.Sprint(bob.id), 10, []hit{{second, ""}}},
			{"  ", 10, []hit{{third, ""}, {second, ""}, {first, ""}}}, // no search: the newest first
			{"", 2, []hit{{third, ""}, {second, ""}}},
			{"nobody", 10, nil},
		}
		for _, tc := range cases {
			rs, err := e.a.Search(e.ctx, tc.text, tc.limit)
			if err != nil {
				t.Errorf("search %q: %v", tc.text, err)
				continue
			}
			var got []hit
			for _, r := range rs {
				got = append(got, hit{r.AccountID, r.Matched})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("search %q (limit %d): %+v, want %+v", tc.text, tc.limit, got, tc.want)
			}
		}
		rs, err := e.a.Search(e.ctx, "bravo", 10)
		if err != nil || len(rs) != 1 {
			t.Fatalf("search: %+v, %v", rs, err)
		}
		if r := rs[0]; r.Name != zedax.name || r.MainID != zedax.id || !r.Active || r.Status != accounts.Standard || r.Characters != 2 {
			t.Errorf("result %+v", r)
		}
		if rs, err := e.a.Search(e.ctx, "hundred", 10); err != nil || len(rs) != 1 || rs[0].Active {
			t.Errorf("deactivated account: %+v, %v", rs, err)
		}
	})
}

// Removals lists what left an account or came to it, newest first, with
// the accounts' current names; RemovalsOfCharacter what happened to one
// character.
func TestRemovalsNewestFirst(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy, ann, ada)
		// amy is sold, then its first owner logs it in again (a new owner
		// once more), then ada is deleted.
		moved := e.login(sold(amy)).AccountID
		e.login(amy)
		if err := e.a.DeleteByAdmin(e.ctx, id, ada.id, id); err != nil {
			t.Fatal(err)
		}
		rs := e.removals(id)
		if len(rs) != 2 {
			t.Fatalf("removals %+v", rs)
		}
		if rs[0].CharacterID != ada.id || rs[0].Reason != accounts.DeletedByAdmin || rs[1].CharacterID != amy.id || rs[1].Reason != accounts.MovedOwnerChanged {
			t.Errorf("removals %+v, want ada's deletion then amy's move", rs)
		}
		if !rs[0].RemovedAt.After(rs[1].RemovedAt) {
			t.Errorf("removed at %v, %v", rs[0].RemovedAt, rs[1].RemovedAt)
		}
		hist, err := e.a.RemovalsOfCharacter(e.ctx, amy.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].AccountID != moved || hist[1].AccountID != id || hist[1].NewAccountID != moved {
			t.Errorf("history of %d: %+v", amy.id, hist)
		}
		for _, r := range hist {
			if r.Reason != accounts.MovedOwnerChanged {
				t.Errorf("removal %+v", r)
			}
		}
		e.mustInvariants()
	})
}

// Owners remembers every owner a character was seen with on the account,
// with when it was seen first and last, newest first.
func TestOwners(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		id := e.account(amy)
		first := e.clock.Now()
		e.add(id, ann)
		annSeen := e.clock.Now()
		e.login(amy)
		last := e.clock.Now()
		// ann's owner changes while on the account: a second record.
		e.add(id, sold(ann))
		sale := e.clock.Now()
		os := e.owners(id)
		type seen struct {
			id          int32
			owner       string
			first, last string
		}
		f := func(at time.Time) string { return at.UTC().Format(time.RFC3339) }
		var got []seen
		for _, o := range os {
			if o.AccountID != id {
				t.Errorf("owner of another account %+v", o)
			}
			got = append(got, seen{o.CharacterID, o.OwnerHash, f(o.FirstSeen), f(o.LastSeen)})
		}
		want := []seen{
			{ann.id, buyer, f(sale), f(sale)},
			{amy.id, amy.owner, f(first), f(last)},
			{ann.id, ann.owner, f(annSeen), f(annSeen)},
		}
		if !slices.Equal(got, want) {
			t.Errorf("owners %+v, want %+v", got, want)
		}
	})
}
