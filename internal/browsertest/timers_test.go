package browsertest

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestOfficerAddsTimerInABrowser is issue 19's officer, at a desktop and
// at a phone: they add a structure timer due in an hour through the form
// and see its countdown on the list, ticking (its text changes within a
// couple of seconds, and reads as the hour left).
func TestOfficerAddsTimerInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testOfficerAddsTimer)
}

// countdownForm is how the countdown script writes the time left within a
// day: hours, minutes and seconds.
var countdownForm = regexp.MustCompile(`^(00:59:[0-5]\d|01:00:00)$`)

func testOfficerAddsTimer(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	officer := site.AccountCharacters(t, 1)[0]
	shots := t.ArtifactDir()

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(officer)
	c, err := site.Accounts().Character(ctx, officer)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Accounts().SetPermissions(ctx, c.AccountID, []string{timers.PermissionView.Name, timers.PermissionAdd.Name}); err != nil {
		t.Fatal(err)
	}
	p.visit("/timers")
	p.waitVisible("#no-upcoming")
	p.follow("opening the form", p.press("#add-timer"))
	p.waitVisible("#timer-form")
	p.do("filling in the timer",
		chromedp.SetValue(chromedp.CSS("#system"), "1DQ1-A"),
		chromedp.SetValue(chromedp.CSS("#planet_moon"), "VI - Moon 3"),
		chromedp.SetValue(chromedp.CSS("#structure"), "fortizar"),
		chromedp.SetValue(chromedp.CSS("#timer_type"), "hull"),
		chromedp.SetValue(chromedp.CSS("#objective"), "friendly"),
		chromedp.SetValue(chromedp.CSS("#hours"), "1"),
		chromedp.SetValue(chromedp.CSS("#owner"), "Us"))
	p.screenshot(shots, "timer-form")
	p.follow("adding the timer", p.press("#save"))
	p.waitVisible("#upcoming [data-countdown]")
	p.wantText("#upcoming", "1DQ1-A", "Fortizar")

	sel := "#upcoming [data-countdown]"
	first := p.text(sel)
	if !countdownForm.MatchString(first) {
		t.Errorf("the countdown reads %q, want the hour left as hh:mm:ss", first)
	}
	// The script rewrites it every second: wait for the next second's
	// text, bounded.
	deadline := time.Now().Add(5 * time.Second)
	for p.text(sel) == first {
		if time.Now().After(deadline) {
			t.Fatalf("the countdown still reads %q after 5 s", first)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if next := p.text(sel); !countdownForm.MatchString(next) || next >= first {
		t.Errorf("the countdown went from %q to %q", first, next)
	}
	p.fitsWidth()
	p.screenshot(shots, "timer-countdown")
}
