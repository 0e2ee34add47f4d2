package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestLayoutInABrowser is a new superuser at a desktop and at a phone
// finding their way: they open an administration page from a bookmark
// before logging in and are told to log in to continue, log in on the
// simulated SSO's page (a styled login page, with its own icon, that says
// it is simulated) and land on the page they asked for; the menu
// highlights one entry only, the page's, and Administration on its pages;
// the site's icon is Keepstar's; on a phone the groups table is a stack of
// labelled cards.
func TestLayoutInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testLayout)
}

func testLayout(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	su := site.AccountCharacters(t, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	shots := t.ArtifactDir()
	// The superuser's account exists before their first login here: made
	// by a first login elsewhere, then made superuser.
	site.NewBrowser(t).LogIn(t, su)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	g, err := groups.New(site.DB, groups.Options{Queue: noQueue{}}).Create(ctx, groups.Input{Name: "Scouts", Description: "Eyes everywhere."})
	if err != nil {
		t.Fatal(err)
	}
	p := openBrowser(ctx, t, exe, site, vp)

	// 1. Logged out, an administration page says to log in first; the
	// login brings the superuser back to it.
	p.visit(fmt.Sprintf("/admin/groups/%d", g.ID))
	p.wantAt(site.URL, "/")
	p.wantText("#login-to-continue", "Log in to continue")
	if href := p.attr("#login", "href"); !strings.Contains(strings.ToLower(href), "next=%2fadmin%2fgroups%2f") {
		t.Errorf("the login button leads to %s, which does not return to the page", href)
	}
	p.follow("clicking Log in with EVE Online", p.press("#login"))

	// 2. The simulated SSO looks like a login page and says what it is.
	p.wantAt(site.SimURL, "/v2/oauth/authorize")
	p.wantText("#simulated", "Simulated EVE Online login", "not EVE Online")
	if bg := run(p, "reading the banner's colour", chromedp.Evaluate[string](
		`getComputedStyle(document.getElementById("simulated")).backgroundColor`)); bg != "rgb(240, 180, 41)" {
		t.Errorf("the simulator's banner is %s: its stylesheet did not apply", bg)
	}
	p.wantIcon(site.SimURL, "image/svg+xml")
	p.screenshot(shots, "sso-simulator")
	p.authorize(su)
	p.wantAt(site.URL, fmt.Sprintf("/admin/groups/%d", g.ID))

	// 3. Keepstar's own icon.
	p.wantIcon(site.URL, "image/svg+xml")

	// 4. One entry highlighted, the longest match; Administration on its
	// pages (TestMenuHighlightsOnlyTheLongestMatch proves the pages under
	// /admin/ that the menu does not list).
	for _, c := range []struct{ path, active, dropdown string }{
		{"/groups", "/groups", ""},
		{"/groups/manage", "/groups/manage", ""},
		{fmt.Sprintf("/groups/%d", g.ID), "/groups", ""},
		{"/admin/groups", "/admin/groups", "#admin-menu"},
		{fmt.Sprintf("/admin/groups/%d", g.ID), "/admin/groups", "#admin-menu"},
		{"/admin/groups/new", "/admin/groups", "#admin-menu"},
		{"/profile", "/profile", "#user-menu"},
	} {
		p.visit(c.path)
		got := run(p, "reading the highlighted entries", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#site-nav .active[href]:not([href='#']), .navbar .nav-link.active[href]:not([href='#'])"), e => e.getAttribute("href")).filter((v, i, a) => a.indexOf(v) === i)`))
		want := []string{}
		if c.active != "" {
			want = []string{c.active}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("on %s the menu highlights %v, want %v", c.path, got, want)
		}
		dropdowns := run(p, "reading the highlighted menus", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll(".navbar .dropdown-toggle.active"), e => "#" + e.id)`))
		wantDrop := []string{}
		if c.dropdown != "" {
			wantDrop = []string{c.dropdown}
		}
		if fmt.Sprint(dropdowns) != fmt.Sprint(wantDrop) {
			t.Errorf("on %s the menus highlighted are %v, want %v", c.path, dropdowns, wantDrop)
		}
	}

	// 5. On a phone, the groups table is a stack of cards, each cell
	// under its column's name; at a desktop it stays a table.
	p.visit("/admin/groups")
	row := fmt.Sprintf("#group-%d", g.ID)
	display := run(p, "reading the row's layout", chromedp.Evaluate[string](fmt.Sprintf(
		`getComputedStyle(document.querySelector(%s)).display`, jsString(row))))
	want := "table-row"
	if vp.phone {
		want = "block"
	}
	if display != want {
		t.Errorf("a row of the groups table is laid out as %s, want %s", display, want)
	}
	if label := p.attr(row+" td:first-child", "data-label"); label != "Name" {
		t.Errorf("the first cell is labelled %q, want Name", label)
	}
	p.screenshot(shots, "admin-groups")
}

// wantIcon checks that the page links an icon of type typ that base
// serves.
func (p *page) wantIcon(base, typ string) {
	p.t.Helper()
	href := run(p, "reading the icon", chromedp.Evaluate[string](`document.querySelector("link[rel=icon]")?.href ?? ""`))
	if !strings.HasPrefix(href, base+"/") {
		p.t.Errorf("%s links the icon %q, not one of %s", p.location(), href, base)
		return
	}
	res, err := http.Get(href)
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != typ {
		p.t.Errorf("the icon %s answers %d %s, want 200 %s", href, res.StatusCode, res.Header.Get("Content-Type"), typ)
	}
}
