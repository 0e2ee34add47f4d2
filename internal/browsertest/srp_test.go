package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestSRPInABrowser is issue 20's ship replacement, at a desktop and at a
// phone: an officer opens a fleet on the page, a member files their lost
// Raven with the ESI link, and the officer approves it; the member's page
// then shows it approved.
func TestSRPInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testSRP)
}

func testSRP(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	chars := site.AccountCharacters(t, 3)
	officer, member, enemy := chars[0], chars[1], chars[2]
	shots := t.ArtifactDir()

	po := openBrowser(ctx, t, exe, site, vp)
	po.visit("/")
	po.logIn(officer)
	pm := po.stranger()
	pm.visit("/")
	pm.logIn(member)
	for c, perm := range map[int32]string{officer: srp.PermissionManage.Name, member: srp.PermissionAccess.Name} {
		ch, err := site.Accounts().Character(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := site.Accounts().SetPermissions(ctx, ch.AccountID, []string{perm}); err != nil {
			t.Fatal(err)
		}
	}

	po.visit("/srp")
	po.waitVisible("#create-fleet")
	po.do("filling in the fleet",
		chromedp.SetValue(chromedp.CSS("#name"), "Stratop Jita"),
		chromedp.SetValue(chromedp.CSS("#doctrine"), "Ravens"),
		chromedp.SetValue(chromedp.CSS("#commander"), "Boss"),
		chromedp.SetValue(chromedp.CSS("#fleet_time"), "2026-12-01T19:00"))
	po.follow("opening the fleet", po.press("#create"))
	po.waitVisible("#srp-code")
	fleetPath := po.url().Path
	if _, err := strconv.ParseInt(fleetPath[len("/srp/fleets/"):], 10, 64); err != nil {
		t.Fatalf("after opening the fleet: at %s", fleetPath)
	}

	kill, hash, err := site.Sim.Universe.AddKillmail(member, []int32{enemy}, 638, 30000142)
	if err != nil {
		t.Fatal(err)
	}
	pm.visit(fleetPath)
	pm.waitVisible("#file-request")
	pm.do("pasting the killmail link", chromedp.SetValue(chromedp.CSS("#link"), fmt.Sprintf("https://esi.evetech.net/killmails/%d/%s/", kill, hash)))
	pm.follow("filing the loss", pm.press("#file"))
	pm.waitVisible("#srp-requests")
	pm.wantText("#srp-requests", "Raven", "Pending")
	pm.fitsWidth()
	pm.screenshot(shots, "srp-filed")

	po.visit(fleetPath)
	po.waitVisible(`[data-action="decide"]`)
	po.do("writing a comment", chromedp.SetValue(chromedp.CSS(`[data-action="decide"] input[name="comment"]`), "Good fight"))
	po.follow("approving", po.press(`[data-action="decide"] button[value="approve"]`))
	po.waitVisible("#srp-requests")
	po.wantText("#srp-requests", "Approved", "Good fight")
	po.wantText("#fleet-total", "Requests: 1")
	po.fitsWidth()
	po.screenshot(shots, "srp-approved")

	pm.visit("/srp")
	pm.waitVisible("#srp-mine")
	pm.wantText("#srp-mine", "Approved", "Good fight")
	pm.fitsWidth()
}
