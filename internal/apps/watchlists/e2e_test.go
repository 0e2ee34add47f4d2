package watchlists_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// A member of the simulated universe with three characters: two alone in a
// player corporation of their own (all its members on one account) and one
// in a watched corporation. The member is on the warning list until the
// auto-allowlist job, reading the corporation's members from the simulated
// ESI with a member's token, allowlists the corporation; it is taken off
// when its members are no longer on one account. A member outside the
// list's view group is refused its page; in the group, it reads it.
func TestAutoAllowlistAndVisibility(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		u := site.Sim.Universe
		chars := site.AccountCharacters(t, 3)
		c0, c1, c2 := chars[0], chars[1], chars[2]
		// own is a player corporation emptied of its members, then given
		// c0 and c1; watched is another with members of other accounts.
		var own, watched int32
		for _, id := range u.CorporationIDs() {
			if watchlists.IsNPC(int64(id)) || u.MemberCount(id) < 2 {
				continue
			}
			members, _ := u.Members(id)
			if slices.ContainsFunc(chars, func(c int32) bool { return slices.Contains(members, c) }) {
				continue
			}
			switch {
			case own == 0:
				own = id
			case watched == 0:
				watched = id
			}
		}
		if own == 0 || watched == 0 {
			t.Fatal("no two player corporations in the simulated universe")
		}
		members, _ := u.Members(own)
		for _, m := range members {
			if err := u.MoveCharacter(m, watched); err != nil {
				t.Fatal(err)
			}
		}
		for c, corp := range map[int32]int32{c0: own, c1: own, c2: watched} {
			if err := u.MoveCharacter(c, corp); err != nil {
				t.Fatal(err)
			}
		}

		b := site.NewBrowser(t)
		b.LogIn(t, c0)
		b.AddCharacter(t, c1)
		b.AddCharacter(t, c2)
		var account int64
		if err := site.DB.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, c0).Scan(&account); err != nil {
			t.Fatal(err)
		}
		if _, err := logins.NewStore(site.DB, nil).Create(ctx, logins.Input{Name: "members", Description: "Corporation members.",
			Scopes: watchlists.MembershipScope}); err != nil {
			t.Fatal(err)
		}
		if p := b.Flow(t, "/sso/login/members", c0); p.Status != http.StatusOK {
			t.Fatalf("token of the members login: %d", p.Status)
		}

		// The list, its view group, and a watcher: another member.
		var list watchlists.Watchlist
		group := site.OpenGroup(t, "Watchers")
		err := site.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if list, err = watchlists.Create(ctx, tx, "Hostiles"); err != nil {
				return err
			}
			if err := watchlists.SetGroups(ctx, tx, list.ID, false, []int64{group}); err != nil {
				return err
			}
			return watchlists.AddEntity(ctx, tx, list.ID, watchlists.ListWatched, watchlists.KindCorporation, int64(watched))
		})
		if err != nil {
			t.Fatal(err)
		}
		page := "/watchlists/" + strconv.FormatInt(list.ID, 10)
		watcher := site.NewBrowser(t)
		watcher.LogIn(t, site.AccountCharacters(t, 1, chars...)[0])
		if p := watcher.Get(t, page); p.Status != http.StatusForbidden {
			t.Fatalf("a member outside the view group: %d, want 403", p.Status)
		}
		watcher.JoinGroup(t, group)
		mark := `data-account="` + strconv.FormatInt(account, 10) + `"`
		if p := watcher.Get(t, page); p.Status != http.StatusOK || !strings.Contains(p.Body, mark) {
			t.Fatalf("the watcher's page: %d, the account shown: %v", p.Status, strings.Contains(p.Body, mark))
		}
		if p := watcher.Get(t, page+"/manage"); p.Status != http.StatusForbidden {
			t.Fatalf("a viewer on the managers' page: %d, want 403", p.Status)
		}

		// The watcher made a manager too; with the settings locked, a
		// manager changes the kicklist and allowlist but not what is
		// watched (only watchlist-admins do).
		if err := site.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := watchlists.SetGroups(ctx, tx, list.ID, true, []int64{group}); err != nil {
				return err
			}
			return watchlists.SetLock(ctx, tx, list.ID, true)
		}); err != nil {
			t.Fatal(err)
		}
		add := func(l string, status int) {
			t.Helper()
			p := watcher.Post(t, page+"/entities", url.Values{"list": {l}, "kind": {watchlists.KindAlliance}, "names": {"99999999"}}) // an alliance nobody is in
			if p.Status != status {
				t.Errorf("a manager adding to %s of a locked list: %d, want %d", l, p.Status, status)
			}
		}
		add(watchlists.ListWatched, http.StatusForbidden)
		add(watchlists.ListKicklist, http.StatusOK)
		if err := watchlists.SetLock(ctx, site.DB, list.ID, false); err != nil {
			t.Fatal(err)
		}
		add(watchlists.ListWatched, http.StatusOK)

		site.RunJob(t, watchlists.AutoAllowlistArgs{})
		warned, err := watchlists.Warnings(ctx, site.DB, list.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(warned, account) {
			t.Errorf("after the auto-allowlist the account is still warned of: %v", warned)
		}
		entities, err := watchlists.Entities(ctx, site.DB, list.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entities, func(e watchlists.Entity) bool {
			return e.List == watchlists.ListAllowlist && e.ID == int64(own) && e.Auto
		}) {
			t.Fatalf("corporation %d not auto-allowlisted: %+v", own, entities)
		}
		if slices.ContainsFunc(entities, func(e watchlists.Entity) bool { return e.List == watchlists.ListAllowlist && e.ID == int64(watched) }) {
			t.Error("the watched corporation, with members of other accounts, was allowlisted")
		}

		// c1 moves to another account: the corporation's members are no
		// longer on one account, and the corporation leaves the allowlist.
		if err := site.DB.InTx(ctx, func(tx *store.Tx) error {
			var other int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				SELECT name, status, active, false, '', '', created_at, updated_at FROM accounts WHERE id = $1 RETURNING id`, account).Scan(&other); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE characters SET account_id = $1, main = true WHERE id = $2`, other, c1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		site.RunJob(t, watchlists.AutoAllowlistArgs{})
		entities, err = watchlists.Entities(ctx, site.DB, list.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(entities, func(e watchlists.Entity) bool { return e.List == watchlists.ListAllowlist && e.ID == int64(own) }) {
			t.Errorf("corporation %d still allowlisted: %+v", own, entities)
		}
		warned, err = watchlists.Warnings(ctx, site.DB, list.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(warned, account) {
			t.Errorf("the account is not warned of again: %v", warned)
		}
	})
}
