package browsertest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestAccountsInABrowser is the life of a member's account as a person at a
// desktop and at a phone lives it: logging in through the simulated SSO,
// adding an alt, merging two accounts of the same EVE owner by adding a
// character of the other, the dashboard, changing the main character and
// logging out.
func TestAccountsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testAccounts)
}

func testAccounts(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	a := site.AccountCharacters(t, 2) // A1, A2: one EVE account, one owner
	b := site.AccountCharacters(t, 1, a...)
	a1, a2, b1 := a[0], a[1], b[0]
	name := func(id int32) string {
		c, err := site.Sim.Universe.Character(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Name
	}
	shots := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)

	// 1. The first login makes an account with A1 as its main.
	p.visit("/")
	p.wantText("#login", "Log in with EVE Online")
	p.logIn(a1)
	p.wantText("#main-character", name(a1))
	p.wantText(".alert", "Welcome!", name(a1))

	// 2. An alt of another EVE account is new to Keepstar: attached.
	p.addCharacter(b1)
	p.wantText(".alert", name(b1)+" was added to your account")
	p.wantText("#character-list", name(a1), name(b1))

	// 3. A2, unknown to Keepstar, logs in on its own: a second account.
	p.logOut()
	p.logIn(a2)
	p.wantText("#main-character", name(a2))
	p.wantText(".alert", "Welcome!", name(a2))
	if ids := p.characterIDs("#characters [data-character-id]"); !slices.Equal(ids, ids32(a2)) {
		t.Errorf("the new account shows characters %v, want only %d", ids, a2)
	}
	p.logOut()

	// 4. A1 adds A2, of the same owner: the two accounts merge.
	p.logIn(a1)
	p.addCharacter(a2)
	p.wantText(".alert", name(a2), "the two accounts are now one")
	p.wantText("#character-list", name(a1), name(b1), name(a2))

	// 5. The dashboard shows all three, A1 the main; then B1 becomes the main.
	p.menu("/dashboard")
	if ids := p.characterIDs("#characters [data-character-id]"); !sameIDs(ids, a1, b1, a2) {
		t.Errorf("the dashboard shows characters %v, want %d, %d and %d", ids, a1, b1, a2)
	}
	p.wantText("#main-character", name(a1))
	p.menu("/characters")
	p.follow("clicking Make main", p.press(fmt.Sprintf("#make-main-%d", b1)))
	p.wantAt(site.URL, "/characters")
	p.wantText(".alert", "Your main character was changed.")
	p.menu("/dashboard")
	p.wantText("#main-character", name(b1))
	if ids := p.characterIDs("#characters .character-card.main"); !slices.Equal(ids, ids32(b1)) {
		t.Errorf("the dashboard marks %v as main, want %d", ids, b1)
	}
	p.screenshot(shots, "dashboard")
	p.menu("/characters")
	p.screenshot(shots, "characters")
	p.openMenu()
	p.do("opening the user menu", p.press("#user-menu"))
	p.waitVisible("#logout")
	p.screenshot(shots, "user-menu")

	// 6. Logging out shows the home page; the dashboard is then behind the login.
	p.logOut()
	p.visit("/dashboard")
	p.wantAt(site.URL, "/")
	if next := p.url().Query().Get("next"); next != "/dashboard" {
		t.Errorf("the login page after /dashboard has next=%q, want /dashboard", next)
	}
	p.waitVisible("#login")
	if p.visible("#main-character") {
		t.Error("the dashboard is shown after logging out")
	}

	// The database agrees with what the pages showed.
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := site.DB.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM accounts`); n != 2 {
		t.Errorf("%d accounts, want 2 (one merged into the other)", n)
	}
	var home int64
	if err := site.DB.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, a1).Scan(&home); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM characters WHERE account_id = $1`, home); n != 3 {
		t.Errorf("A1's account has %d characters, want 3", n)
	}
	if n := count(`SELECT count(*) FROM characters WHERE account_id <> $1`, home); n != 0 {
		t.Errorf("%d characters on other accounts, want none", n)
	}
	if n := count(`SELECT count(*) FROM characters WHERE account_id = $1 AND main AND id = $2`, home, b1); n != 1 {
		t.Errorf("B1 is not the main of A1's account")
	}
	if n := count(`SELECT count(*) FROM character_removals WHERE character_id = $1 AND reason = 'moved' AND new_account_id = $2 AND account_id <> $2`, a2, home); n != 1 {
		t.Errorf("%d 'moved' records for A2 into A1's account, want 1", n)
	}
}

// ids32 gives ids as the page writes them in data-character-id.
func ids32(ids ...int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(int(id))
	}
	return out
}

// sameIDs tells whether got holds exactly want, in any order.
func sameIDs(got []string, want ...int32) bool {
	w := ids32(want...)
	g := slices.Clone(got)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}
