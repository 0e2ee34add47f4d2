package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
)

// TestWatchlistManagerAllowlistsInABrowser is issue 18's watchlist
// manager, at a desktop and at a phone: a member with one character in a
// watched corporation and another in a corporation of their own is on the
// warning list; the manager (in the list's view and manager groups) types
// that corporation's name on the managers' page, and the member leaves the
// warning list.
func TestWatchlistManagerAllowlistsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testWatchlistManagerAllowlists)
}

func testWatchlistManagerAllowlists(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	pilot := site.AccountCharacters(t, 2)
	manager := site.AccountCharacters(t, 1, pilot...)[0]
	u := site.Sim.Universe
	watchedChar, err := u.Character(pilot[0])
	if err != nil {
		t.Fatal(err)
	}
	altChar, err := u.Character(pilot[1])
	if err != nil {
		t.Fatal(err)
	}
	if watchedChar.CorporationID == altChar.CorporationID {
		t.Skip("the simulated account's characters share a corporation")
	}
	alt, err := u.Corporation(altChar.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	b := site.NewBrowser(t)
	b.LogIn(t, pilot[0])
	b.AddCharacter(t, pilot[1])
	var account int64
	if err := site.DB.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, pilot[0]).Scan(&account); err != nil {
		t.Fatal(err)
	}
	group := site.OpenGroup(t, "Counter-intelligence")
	mb := site.NewBrowser(t)
	mb.LogIn(t, manager)
	mb.JoinGroup(t, group)
	var list watchlists.Watchlist
	err = site.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if list, err = watchlists.Create(ctx, tx, "Hostiles"); err != nil {
			return err
		}
		for _, manager := range []bool{false, true} {
			if err := watchlists.SetGroups(ctx, tx, list.ID, manager, []int64{group}); err != nil {
				return err
			}
		}
		return watchlists.AddEntity(ctx, tx, list.ID, watchlists.ListWatched, watchlists.KindCorporation, int64(watchedChar.CorporationID))
	})
	if err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()
	warned := fmt.Sprintf(`#warnings [data-account="%d"]`, account)

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(manager)
	p.visit(fmt.Sprintf("/watchlists/%d", list.ID))
	p.waitVisible(warned)
	p.fitsWidth()
	p.screenshot(shots, "warning-list")

	p.visit(fmt.Sprintf("/watchlists/%d/manage", list.ID))
	p.waitVisible("#add-allowlist-corporation")
	p.fitsWidth()
	p.do("typing the corporation's name", chromedp.SetValue(chromedp.CSS("#allowlist-corporation"), alt.Name))
	p.screenshot(shots, "allowlist-form")
	p.follow("allowlisting the corporation", p.press("#add-allowlist-corporation button[type=submit]"))
	p.waitVisible(fmt.Sprintf(`#list-allowlist [data-entity="%d"]`, alt.ID))
	p.fitsWidth()
	p.screenshot(shots, "allowlisted")

	p.visit(fmt.Sprintf("/watchlists/%d", list.ID))
	p.waitVisible("#warnings")
	if p.visible(warned) {
		t.Error("the member is still on the warning list after their corporation was allowlisted")
	}
}
