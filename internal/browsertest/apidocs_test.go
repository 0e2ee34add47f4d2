package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestAPIDocsInABrowser is an app admin at a desktop and at a phone
// reading the API documentation: they open it from the top bar, follow an
// operation's link to the schema it answers with, and find the downloads.
// The page breaks no Content-Security-Policy (a violation is a console
// error, which fails the test) and is not wider than a phone's screen.
func TestAPIDocsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testAPIDocs)
}

func testAPIDocs(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	admin := site.AccountCharacters(t, 1)[0]
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)

	p.visit("/")
	p.logIn(admin)
	acc, err := site.Accounts().Character(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Accounts().SetRoles(ctx, acc.AccountID, []string{access.RoleAppAdmin}, false); err != nil {
		t.Fatal(err)
	}
	p.follow("reloading the dashboard", chromedp.Reload())

	p.menu("/api.html")
	p.wantText("h1", "API documentation")
	p.wantText("#application", "Keepstar Application API", "How to authenticate", "Authorization: Bearer")
	p.wantText("#application-showV1", "GET", "/api/app/v1/show", "app")
	p.wantText("#web-getMe", "GET", "/api/me")
	p.screenshot(shots, "api-docs")

	// The answer of showV1 is an App: its link leads to the schema.
	p.do("following the link to App", p.press(`#application-showV1 a[href="#application-schema-App"]`))
	if u := p.url(); u.Fragment != "application-schema-App" {
		t.Errorf("at %s after the schema's link", u)
	}
	p.waitVisible("#application-schema-App")
	p.wantText("#application-schema-App", "eveLogins", "EveLogin[]")
	p.fitsWidth()

	links := p.texts(`#application a[download]`)
	if strings.Join(links, "|") != "Download (YAML)|Download (JSON)" {
		t.Errorf("downloads of the Application API: %v", links)
	}
}
