package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestFatlinkInABrowser is issue 19's fleet activity tracking, at a
// desktop and at a phone: a fleet commander makes a fatlink on its page, a
// member (online in EVE, with a token of the login fat) opens it in a
// browser of their own and records their character, and the commander's
// statistics list the member.
func TestFatlinkInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testFatlink)
}

func testFatlink(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	if _, err := logins.NewStore(site.DB, nil).Create(ctx, logins.Input{Name: fat.SettingLogin.Default,
		Scopes: strings.Join(fat.ClickScopes, " ")}); err != nil {
		t.Fatal(err)
	}
	fc, member := site.NewMember(t), site.NewMember(t)
	if err := site.Accounts().SetPermissions(ctx, fc.AccountID, []string{fat.PermissionManage.Name, fat.PermissionStatistics.Name}); err != nil {
		t.Fatal(err)
	}
	if p := member.Browser.Flow(t, "/sso/login/fat", member.Character); p.Status != 200 {
		t.Fatalf("token of the login fat: %d", p.Status)
	}
	if err := site.Sim.Universe.SetOnline(member.Character, true); err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(fc.Character)
	p.visit("/fat/links")
	p.waitVisible("#create-link")
	p.do("naming the fleet", chromedp.SetValue(chromedp.CSS("#fleet"), "Home defense"), chromedp.SetValue(chromedp.CSS("#duration"), "45"))
	p.fitsWidth()
	p.screenshot(shots, "fatlinks")
	p.follow("creating the fatlink", p.press("#create"))
	p.waitVisible("#link-url")
	p.fitsWidth()
	p.screenshot(shots, "fatlink")
	ls, err := fat.Links(ctx, site.DB, 1)
	if err != nil || len(ls) != 1 || ls[0].Fleet != "Home defense" {
		t.Fatalf("links %+v, %v", ls, err)
	}
	if !strings.HasSuffix(run(p, "reading the address", chromedp.Evaluate[string](`document.querySelector("#link-url").value`)), "/fat/click/"+ls[0].Hash) {
		t.Error("the address to post is not the link's")
	}

	m := p.stranger()
	m.visit("/")
	m.logIn(member.Character)
	m.visit("/fat/click/" + ls[0].Hash)
	record := fmt.Sprintf(`#fat-characters [data-character="%d"] button[data-action=record]`, member.Character)
	m.waitVisible(record)
	m.fitsWidth()
	m.screenshot(shots, "fatlink-member")
	m.follow("recording the character", m.press(record))
	m.waitVisible(fmt.Sprintf(`#fat-characters [data-character="%d"] [data-field=recorded]`, member.Character))
	m.fitsWidth()
	m.screenshot(shots, "fatlink-recorded")

	p.visit("/fat/stats")
	p.waitVisible(fmt.Sprintf(`#fat-top [data-character="%d"]`, member.Character))
	p.wantText(fmt.Sprintf(`#fat-top [data-character="%d"] [data-field=fats]`, member.Character), "1")
	p.fitsWidth()
	p.screenshot(shots, "fat-statistics")
}
