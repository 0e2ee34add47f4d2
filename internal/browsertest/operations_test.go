package browsertest

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestOperationsInABrowser is a superuser at a desktop and at a phone
// watching the background jobs: they open Operations from the
// administration menu, press Run now on the affiliations job, see the run
// end, then open River UI from the page, find the job there, and come back
// by River UI's link to Keepstar. Neither page breaks the
// Content-Security-Policy (a violation is a console error, which fails the
// test) nor is wider than a phone's screen.
func TestOperationsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testOperations)
}

func testOperations(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	su := site.AccountCharacters(t, 1)[0]
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)

	p.visit("/")
	p.logIn(su)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	p.follow("reloading the dashboard", chromedp.Reload())

	// 1. Operations, from the administration menu: the affiliations job
	// has never run.
	p.adminMenu("/admin/operations")
	p.wantText("h1", "Operations")
	job := "#job-affiliations_sync"
	p.waitVisible(job)
	p.wantText(job+` [data-field="last-run"]`, "never")
	p.wantText("#versions", "sqlite", "go1.")
	p.screenshot(shots, "operations-before")

	// 2. Run now: queued, then run by the site's workers.
	p.follow("clicking Run now", p.press("#run-affiliations_sync"))
	p.wantAt(site.URL, "/admin/operations")
	p.wantText(".alert", "affiliations_sync is queued (job ")
	m := regexp.MustCompile(`\(job ([0-9]+)\)`).FindStringSubmatch(p.text(".alert"))
	if m == nil {
		t.Fatalf("the flash names no job: %q", p.text(".alert"))
	}
	jobID := m[1]
	// The run is recorded as it ends, and River marks its job completed
	// just after: the page is reloaded until it shows both.
	day := `#day tr[data-kind="affiliations_sync"] [data-state="completed"]`
	for p.attr(job, "data-outcome") != "completed" || !p.exists(day) {
		select {
		case <-ctx.Done():
			t.Fatalf("the run never showed as completed: %q", p.text(job))
		case <-time.After(100 * time.Millisecond):
		}
		p.follow("reloading the operations page", chromedp.Reload())
	}
	p.wantText(job+` [data-badge="outcome"]`, "completed")
	p.wantText(day, "1")
	if p.text(job+` [data-field="last-success"]`) == "never" {
		t.Error("the completed run shows no last success")
	}
	p.fitsWidth()
	p.screenshot(shots, "operations")

	// 3. River UI, from the page: the job is listed among the completed
	// ones, and its page shows it.
	p.follow("clicking Open River UI", p.press("#river-ui"))
	p.wantAt(site.URL, "/admin/jobs/")
	p.visit("/admin/jobs/jobs?state=completed")
	p.waitText("affiliations_sync")
	p.fitsWidth()
	p.screenshot(shots, "river-ui-jobs")
	p.visit("/admin/jobs/jobs/" + jobID)
	p.waitText("affiliations_sync")
	p.waitText("Completed")
	p.screenshot(shots, "river-ui-job")

	// 4. River UI links back to the operations page.
	p.waitVisible("#back-to-keepstar")
	p.wantText("#back-to-keepstar", "Back to Keepstar")
	p.follow("clicking Back to Keepstar", p.press("#back-to-keepstar"))
	p.wantAt(site.URL, "/admin/operations")
}

// adminMenu follows the administration menu's entry to path.
func (p *page) adminMenu(path string) {
	p.t.Helper()
	p.openMenu()
	item := fmt.Sprintf(`#site-nav a.dropdown-item[href=%s]`, jsString(path))
	if !p.visible(item) {
		p.do("opening the administration menu", p.press("#admin-menu"), chromedp.WaitVisible(chromedp.CSS(item)))
	}
	p.follow("opening "+path+" from the administration menu", p.press(item))
	p.wantAt(p.site.URL, path)
}

// waitText waits until the page shows text, for pages that draw
// themselves after loading (River UI).
func (p *page) waitText(text string) {
	p.t.Helper()
	expr := fmt.Sprintf(`document.body && document.body.innerText.includes(%s)`, jsString(text))
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		p.t.Fatalf("%s never showed %q: %v\n%s", p.location(), text, err, p.text("body"))
	}
}
