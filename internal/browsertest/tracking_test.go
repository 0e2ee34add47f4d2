package browsertest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestTrackingInABrowser is issue 18's director and leader, at a desktop
// and at a phone: the director (Director in game) adds a core.tracking
// token from the Tokens page through the simulated SSO; a superuser runs
// the tracking job from the Operations page and gives the corporation a
// tracking group on /admin/tracking; the leader, in that group, opens the
// corporation's page and filters the members inactive for 30 days, and
// the list is exactly those the simulator says logged on longer ago than
// that. Issue 18's third person, the watchlist manager allowlisting a
// corporation, is TestWatchlistManagerAllowlistsInABrowser.
func TestTrackingInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testTracking)
}

// inactiveDays is the filter the leader types.
const inactiveDays = 30

func testTracking(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	u := site.Sim.Universe
	corp, members := trackedCorporation(t, u)
	director := members[0]
	// The leader and the superuser are players of other corporations.
	leader := site.AccountCharacters(t, 1, members...)[0]
	admin := site.AccountCharacters(t, 1, append(slices.Clone(members), leader)...)[0]
	if err := u.SetRoles(director, []string{"Director"}); err != nil {
		t.Fatal(err)
	}
	// Two members play today (logged on and off again): the others last
	// logged on years ago, as the simulator made them.
	for _, id := range members[1:3] {
		site.Control(t, fmt.Sprintf("characters/%d/online", id), `{"online":true}`)
		site.Control(t, fmt.Sprintf("characters/%d/online", id), `{"online":false}`)
	}
	group := site.OpenGroup(t, "Leaders")
	lb := site.NewBrowser(t)
	lb.LogIn(t, leader)
	lb.JoinGroup(t, group)
	shots := t.ArtifactDir()

	// The director adds the core.tracking token on the Tokens page.
	d := openBrowser(ctx, t, exe, site, vp)
	d.visit("/")
	d.logIn(director)
	d.visit("/tokens")
	cell := fmt.Sprintf(`#tokens tr[data-character-id="%d"] td[data-login="core.tracking"]`, director)
	d.waitVisible(cell + " a")
	if s := d.attr(cell, "data-state"); s != "none" {
		t.Fatalf("the director's core.tracking token is %q before adding it", s)
	}
	d.follow("adding the core.tracking token", d.press(cell+" a"))
	d.authorize(director)
	d.wantAt(site.URL, "/tokens")
	d.waitVisible(cell)
	if s := d.attr(cell, "data-state"); s != "valid" {
		t.Fatalf("the director's core.tracking token is %q after adding it: %s", s, d.text(".alert"))
	}
	d.fitsWidth()
	d.screenshot(shots, "tracking-token")

	// The superuser runs the job and gives the corporation its group.
	a := d.stranger()
	a.visit("/")
	a.logIn(admin)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(admin))); err != nil {
		t.Fatal(err)
	}
	a.visit("/admin/operations")
	job := "#job-tracking_update"
	a.waitVisible(job)
	a.follow("clicking Run now", a.press("#run-tracking_update"))
	for a.attr(job, "data-outcome") != "completed" {
		select {
		case <-ctx.Done():
			t.Fatalf("the tracking job never showed as completed: %q", a.text(job))
		case <-time.After(100 * time.Millisecond):
		}
		a.follow("reloading the operations page", chromedp.Reload())
	}
	a.visit("/admin/tracking")
	form := fmt.Sprintf("#groups-%d", corp)
	a.waitVisible(form)
	a.tick(fmt.Sprintf("#g-%d-%d", corp, group), true)
	a.screenshot(shots, "tracking-groups")
	a.follow("saving the tracking groups", a.press(form+" button[type=submit]"))
	a.wantAt(site.URL, "/admin/tracking")
	if !a.checked(fmt.Sprintf("#g-%d-%d", corp, group)) {
		t.Fatal("the group is not ticked after saving")
	}

	// The leader filters the inactive members.
	l := d.stranger()
	l.visit("/")
	l.logIn(leader)
	l.visit("/tracking")
	link := fmt.Sprintf(`#tracking-corporations a[href="/tracking/%d"]`, corp)
	l.waitVisible(link)
	l.follow("opening the corporation", l.press(link))
	l.wantAt(site.URL, fmt.Sprintf("/tracking/%d", corp))
	if got := l.memberIDs(); len(got) != len(members) {
		t.Fatalf("the corporation's page lists %d members, the simulator %d", len(got), len(members))
	}
	l.do("typing the days", chromedp.SendKeys(chromedp.CSS("#inactive"), strconv.Itoa(inactiveDays)))
	l.follow("filtering", l.press("#tracking-filter button[type=submit]"))
	if q := l.url().Query().Get("inactive"); q != strconv.Itoa(inactiveDays) {
		t.Fatalf("the filter sent inactive=%q", q)
	}
	l.screenshot(shots, "tracking-inactive")
	var want []string
	cutoff := u.Now().AddDate(0, 0, -inactiveDays)
	for _, id := range members {
		c, err := u.Character(id)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastLogin.IsZero() || c.LastLogin.Before(cutoff) {
			want = append(want, strconv.Itoa(int(id)))
		}
	}
	got := l.memberIDs()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("inactive for %d days: the page lists %v, the simulator says %v", inactiveDays, got, want)
	}
	if len(want) == 0 || len(want) == len(members) {
		t.Errorf("the filter keeps %d of %d members: the test tells nothing", len(want), len(members))
	}
}

// trackedCorporation picks a player corporation of at least five members
// for the director to track, and its members, the first one to be the
// director.
func trackedCorporation(t *testing.T, u *universe.Universe) (int32, []int32) {
	t.Helper()
	for _, id := range u.CorporationIDs() {
		c, err := u.Corporation(id)
		if err != nil || c.NPC || u.MemberCount(id) < 5 {
			continue
		}
		members, err := u.Members(id)
		if err != nil {
			t.Fatal(err)
		}
		alive := true
		for _, m := range members {
			if ch, err := u.Character(m); err != nil || ch.Biomassed {
				alive = false
			}
		}
		if alive {
			return id, slices.Clone(members)
		}
	}
	t.Fatal("the universe has no player corporation of five members")
	return 0, nil
}

// memberIDs gives the characters the tracking page lists.
func (p *page) memberIDs() []string {
	p.t.Helper()
	return run(p, "reading the members", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#tracking-members tr[data-character]"), e => e.dataset.character)`))
}
