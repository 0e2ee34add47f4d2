package browsertest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestSetupChecklistInABrowser is a new superuser at a desktop and at a
// phone: the dashboard shows the setup checklist, its link opens the whole
// list, and the callback URL's copy button (a static script, under the
// site's Content-Security-Policy) shows and copies the URL, or selects it
// where the browser refuses the clipboard.
func TestSetupChecklistInABrowser(t *testing.T) {
	exe := chromium(t)
	for _, vp := range []viewport{desktop, phone} {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{})
			su := site.AccountCharacters(t, 1)[0]
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			p := openBrowser(ctx, t, exe, site, vp)
			p.visit("/")
			p.logIn(su)
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
				t.Fatal(err)
			}
			p.follow("reloading the dashboard", chromedp.Reload())
			p.waitVisible("#setup")
			p.wantText("#setup", "Set up this site", "A state for your alliance or corporations")
			p.follow("opening the checklist", p.press("#setup-open"))
			p.wantAt(site.URL, "/admin/setup")
			p.wantText("h1", "Setup checklist")
			callback := site.URL + "/sso/callback"
			p.wantText("#copy-eve-application", callback)
			button := `button[data-copy="copy-eve-application"]`
			p.waitVisible(button)
			p.do("pressing Copy", p.press(button))
			copied := `(() => { const b = document.querySelector('` + button + `');
				return b.textContent === "Copied" || window.getSelection().toString().trim() === ` + jsString(callback) + `; })()`
			if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](copied, chromedp.WithPollingInterval(50*time.Millisecond),
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Errorf("Copy neither copied nor selected the callback URL: %v", err)
			}
		})
	}
}
