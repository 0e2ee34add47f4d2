package signin_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// accountOf gives the account of a character in the site's database.
func accountOf(t *testing.T, site *sitetest.Site, id int32) int64 {
	t.Helper()
	var acc int64
	if err := site.DB.QueryRow(context.Background(), `SELECT account_id FROM characters WHERE id = $1`, id).Scan(&acc); err != nil {
		t.Fatalf("account of %d: %v", id, err)
	}
	return acc
}

func TestAddingCharacters(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		b := site.AccountCharacters(t, 1, a...)
		alice := site.NewBrowser(t)
		alice.LogIn(t, a[0])
		home := accountOf(t, site, a[0])

		// A new character is attached.
		p := alice.AddCharacter(t, b[0])
		if !strings.Contains(p.Body, "was added to your account") || accountOf(t, site, b[0]) != home {
			t.Fatalf("new character not attached:\n%s", p.Body)
		}
		// Adding it again renews its token.
		if p := alice.AddCharacter(t, b[0]); !strings.Contains(p.Body, "was renewed") {
			t.Errorf("adding again did not renew:\n%s", p.Body)
		}

		// A second account of the same owner, made by logging in with the
		// other character, is merged into the older by adding it.
		other := site.NewBrowser(t)
		other.LogIn(t, a[1])
		newer := accountOf(t, site, a[1])
		if newer == home {
			t.Fatal("the second character's login did not make its own account")
		}
		p = alice.AddCharacter(t, a[1])
		if !strings.Contains(p.Body, "the two accounts are now one") {
			t.Fatalf("no merge message:\n%s", p.Body)
		}
		for _, id := range []int32{a[0], a[1], b[0]} {
			if got := accountOf(t, site, id); got != home {
				t.Errorf("character %d on account %d after the merge, want the older %d", id, got, home)
			}
		}
		if n := count(t, site, `SELECT count(*) FROM character_removals WHERE reason = 'moved' AND account_id = $1 AND new_account_id = $2 AND character_id = $3`, newer, home, a[1]); n != 1 {
			t.Errorf("%d moved records", n)
		}
		if n := count(t, site, `SELECT count(*) FROM characters WHERE account_id = $1 AND main`, home); n != 1 {
			t.Errorf("%d mains after the merge", n)
		}
		// The other browser, logged in to the merged account with a[1],
		// follows its character to the older account.
		if p := other.Get(t, "/api/me"); p.Status != 200 || !strings.Contains(p.Body, `"id":`+itoa(int64(home))) {
			t.Errorf("the merged account's session: %d %s", p.Status, p.Body)
		}
		// The merged account's member sees the history on the characters page.
		if p := alice.Get(t, "/characters"); !strings.Contains(p.Body, `data-reason="moved"`) {
			t.Error("the characters page does not show the move")
		}
	})
}

func TestMergeIntoOlderAccountFromNewerSession(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		first := site.NewBrowser(t)
		first.LogIn(t, a[0])
		older := accountOf(t, site, a[0])
		second := site.NewBrowser(t)
		second.LogIn(t, a[1])
		// Logged in to the newer account, adding a character of the older
		// one moves everything to the older: the member is now on it.
		second.AddCharacter(t, a[0])
		if got := accountOf(t, site, a[1]); got != older {
			t.Fatalf("a[1] on %d, want the older account %d", got, older)
		}
		if p := second.Get(t, "/api/me"); !strings.Contains(p.Body, `"id":`+itoa(older)) {
			t.Errorf("session not on the older account: %s", p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM characters WHERE account_id = $1 AND main AND id = $2`, older, a[0]); n != 1 {
			t.Error("the older account's main changed in the merge")
		}
	})
}

func TestCharacterThatChangedHands(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		seller := site.NewBrowser(t)
		seller.LogIn(t, a[0])
		seller.AddCharacter(t, a[1])
		home := accountOf(t, site, a[0])

		// a[1] is sold; its buyer logs in with it: it moves alone to a new
		// account, and the seller is told.
		if _, err := site.Sim.Universe.TransferCharacter(a[1], 0); err != nil {
			t.Fatal(err)
		}
		buyer := site.NewBrowser(t)
		p := buyer.LogIn(t, a[1])
		if !strings.Contains(p.Body, "has a new owner") {
			t.Errorf("no new-owner message:\n%s", p.Body)
		}
		bought := accountOf(t, site, a[1])
		if bought == home {
			t.Fatal("the sold character stayed on the seller's account")
		}
		if n := count(t, site, `SELECT count(*) FROM character_removals WHERE reason = 'moved-owner-changed' AND account_id = $1 AND new_account_id = $2`, home, bought); n != 1 {
			t.Errorf("%d moved-owner-changed records", n)
		}
		if n := count(t, site, `SELECT count(*) FROM notifications WHERE account_id = $1 AND title_key = 'accounts.notice.moved.title'`, home); n != 1 {
			t.Errorf("%d notifications to the seller", n)
		}
		if n := count(t, site, `SELECT count(*) FROM character_owners WHERE character_id = $1`, a[1]); n != 2 {
			t.Errorf("%d owners remembered of the sold character, want 2", n)
		}
		// The seller, logged in with a[0], no longer sees it; the buyer's
		// account has it as main.
		if p := seller.Get(t, "/characters"); p.Status != 200 || strings.Contains(p.Body, `data-character-id="`+itoa(int64(a[1]))+`"`) {
			t.Errorf("seller's characters page: %d", p.Status)
		}
		if n := count(t, site, `SELECT count(*) FROM characters WHERE id = $1 AND main`, a[1]); n != 1 {
			t.Error("the sold character is not its new account's main")
		}

		// Bought back by a member who adds it to their own account: it moves
		// there alone.
		c := site.AccountCharacters(t, 1, a...)
		third := site.NewBrowser(t)
		third.LogIn(t, c[0])
		cc, err := site.Sim.Universe.Character(c[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := site.Sim.Universe.TransferCharacter(a[1], cc.AccountID); err != nil {
			t.Fatal(err)
		}
		p = third.AddCharacter(t, a[1])
		if !strings.Contains(p.Body, "changed hands and was moved to your account") || accountOf(t, site, a[1]) != accountOf(t, site, c[0]) {
			t.Fatalf("moving the resold character:\n%s", p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM character_removals WHERE reason = 'moved-owner-changed' AND account_id = $1 AND character_id = $2`, bought, a[1]); n != 1 {
			t.Errorf("%d records of the second move", n)
		}
	})
}

func TestBiomassedCharacterIsRemovedAtLogin(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		b := site.NewBrowser(t)
		b.LogIn(t, a[0])
		b.AddCharacter(t, a[1])
		home := accountOf(t, site, a[0])
		// The main is biomassed: at the next login of the other character
		// it is removed and the other becomes main.
		if err := site.Sim.Universe.Biomass(a[0]); err != nil {
			t.Fatal(err)
		}
		b.Post(t, "/logout", nil)
		b.LogIn(t, a[1])
		if n := count(t, site, `SELECT count(*) FROM characters WHERE id = $1`, a[0]); n != 0 {
			t.Fatal("the biomassed character is still there")
		}
		if n := count(t, site, `SELECT count(*) FROM character_removals WHERE reason = 'deleted-biomassed' AND character_id = $1 AND account_id = $2`, a[0], home); n != 1 {
			t.Errorf("%d deleted-biomassed records", n)
		}
		if n := count(t, site, `SELECT count(*) FROM characters WHERE id = $1 AND main`, a[1]); n != 1 {
			t.Error("the remaining character did not become main")
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1`, a[0]); n != 0 {
			t.Error("the biomassed character's tokens are kept")
		}
		if p := b.Get(t, "/notifications"); !strings.Contains(p.Body, "was biomassed in EVE") {
			t.Errorf("no notification of the biomass:\n%s", p.Body)
		}
	})
}

func TestAltLoginSetting(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		b := site.NewBrowser(t)
		b.LogIn(t, a[0])
		b.AddCharacter(t, a[1])
		b.Post(t, "/logout", nil)
		// Alts may log in by default (Neucore's default).
		b.LogIn(t, a[1])
		b.Post(t, "/logout", nil)
		if _, err := site.DB.Exec(context.Background(), `INSERT INTO settings (name, value, updated_at) VALUES ('accounts.disable_alt_login', 'true', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		site.Restart() // settings are read again (the cache lasts seconds)
		p := b.Flow(t, "/sso/login", a[1])
		if p.Status != 403 || !strings.Contains(p.Body, "is not the main character of its account") {
			t.Fatalf("alt login with alts off: %d\n%s", p.Status, p.Body)
		}
		if p := b.Get(t, "/api/me"); p.Status != 401 {
			t.Errorf("logged in after a refused alt login: %d", p.Status)
		}
		b.LogIn(t, a[0])
	})
}

func TestDeactivatedAccountCannotLogIn(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		b.LogIn(t, a[0])
		acc := accountOf(t, site, a[0])
		if err := site.Accounts().SetActive(context.Background(), acc, false, 0); err != nil {
			t.Fatal(err)
		}
		// The running session ends at once...
		if p := b.Get(t, "/api/me"); p.Status != 401 {
			t.Errorf("deactivated account's session still works: %d", p.Status)
		}
		// ...and no new one starts.
		before := count(t, site, `SELECT count(*) FROM eve_tokens`)
		p := b.Flow(t, "/sso/login", a[0])
		if p.Status != 403 || !strings.Contains(p.Body, "deactivated") {
			t.Fatalf("login of a deactivated account: %d\n%s", p.Status, p.Body)
		}
		if after := count(t, site, `SELECT count(*) FROM eve_tokens`); after != before {
			t.Error("a refused login changed the tokens")
		}
		if err := site.Accounts().SetActive(context.Background(), acc, true, 0); err != nil {
			t.Fatal(err)
		}
		b.LogIn(t, a[0])
	})
}

func TestNoScopesLogin(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		// Off by default.
		if p := b.Flow(t, "/sso/login/core.no-scopes", a[0]); p.Status != 403 {
			t.Fatalf("no-scopes login while off: %d", p.Status)
		}
		if _, err := site.DB.Exec(context.Background(), `INSERT INTO settings (name, value, updated_at) VALUES ('accounts.allow_login_no_scopes', 'true', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		site.Restart()
		if p := b.Get(t, "/"); !strings.Contains(p.Body, "login-no-scopes") {
			t.Error("the home page does not offer the no-scopes login")
		}
		p := b.Flow(t, "/sso/login/core.no-scopes", a[0])
		if p.Status != 200 || !strings.HasSuffix(p.URL, "/dashboard") {
			t.Fatalf("no-scopes login: %d at %s", p.Status, p.URL)
		}
		// Its token is kept as the core.default token, without scopes.
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1 AND login = 'core.default' AND scopes = ''`, a[0]); n != 1 {
			t.Fatal("no scope-less core.default token")
		}
		if p := b.Get(t, "/tokens"); !strings.Contains(p.Body, `data-login="core.default" data-state="no-scopes"`) {
			t.Error("the tokens page does not show the token without scopes")
		}
		// A login with scopes replaces it; a later no-scopes login never
		// replaces the valid scoped token.
		b.Post(t, "/logout", nil)
		b.LogIn(t, a[0])
		b.Post(t, "/logout", nil)
		b.Flow(t, "/sso/login/core.no-scopes", a[0])
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1 AND login = 'core.default' AND scopes = 'publicData'`, a[0]); n != 1 {
			t.Error("a no-scopes login replaced the scoped token")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
