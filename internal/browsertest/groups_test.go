package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
)

// TestGroupsInABrowser is groups as a member and a group leader at a
// desktop and at a phone use them: the member asks to join a group, its
// leader accepts on the management page, and the member then gets a group
// mapped to a corporation on their own when the simulated universe moves
// their character into it and the affiliations job runs.
func TestGroupsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testGroups)
}

func testGroups(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	u := site.Sim.Universe
	m := site.AccountCharacters(t, 1)[0]    // the member
	l := site.AccountCharacters(t, 1, m)[0] // the leader, of another EVE account
	name := func(id int32) string {
		c, err := u.Character(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Name
	}
	corp := func(id int32) int32 {
		c, err := u.Character(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.CorporationID
	}
	// X: a player corporation neither of them is in.
	var x int32
	for _, c := range u.CorporationIDs() {
		if c > 2_000_000 && c != corp(m) && c != corp(l) {
			x = c
			break
		}
	}
	if x == 0 {
		t.Fatal("no player corporation to map a group to")
	}
	shots := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Each in a Chromium of their own: two people, two sessions.
	mp := openBrowser(ctx, t, exe, site, vp)
	lp := openBrowser(ctx, t, exe, site, vp)

	// Both log in once, so that their accounts exist.
	mp.visit("/")
	mp.logIn(m)
	lp.visit("/")
	lp.logIn(l)
	accountOf := func(id int32) int64 {
		t.Helper()
		var acc int64
		if err := site.DB.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, id).Scan(&acc); err != nil {
			t.Fatalf("the account of %d: %v", id, err)
		}
		return acc
	}
	mAcc, lAcc := accountOf(m), accountOf(l)

	// The groups: Scouts, joined by request, led by L; Mining Division,
	// mapped to X. M may request groups.
	gs := groups.New(site.DB, groups.Options{Queue: noQueue{}})
	scouts, err := gs.Create(ctx, groups.Input{Name: "Scouts", Description: "Eyes in every system.", Managers: []int64{lAcc}})
	if err != nil {
		t.Fatal(err)
	}
	mining, err := gs.Create(ctx, groups.Input{Name: "Mining Division", Corporations: []int32{x}})
	if err != nil {
		t.Fatal(err)
	}
	if err := access.SetAccountPermissions(ctx, site.DB, mAcc, []string{access.RequestPermission}, time.Now()); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	item := func(g groups.Group) string { return fmt.Sprintf("#group-%d", g.ID) }

	// 1. M asks to join Scouts from the groups page.
	mp.menu("/groups")
	mp.wantText("#other-groups", "Scouts", "Mining Division")
	if mp.exists(`#site-nav a[href="/groups/manage"]`) {
		t.Error("the menu offers Group management to M, who manages no group")
	}
	if mp.visible("#your-groups") {
		t.Errorf("M is in groups before joining any: %q", mp.text("#your-groups"))
	}
	// Mining Division is automatic: nothing to press.
	mp.wantText(item(mining)+" [data-badge=automatic]", "automatic")
	if mp.visible(fmt.Sprintf("#join-%d", mining.ID)) {
		t.Error("Mining Division, an automatic group, has a join button")
	}
	mp.wantText(fmt.Sprintf("#join-%d", scouts.ID), "Request to join")
	mp.follow("clicking Request to join", mp.press(fmt.Sprintf("#join-%d", scouts.ID)))
	mp.wantAt(site.URL, "/groups")
	mp.wantText(".alert", "Your request to join Scouts was sent to its managers.")
	if got := mp.attr(item(scouts), "data-pending"); got != "join" {
		t.Errorf("Scouts is pending %q, want join", got)
	}
	mp.wantText(item(scouts), "Join requested")
	mp.waitVisible(fmt.Sprintf("#cancel-%d", scouts.ID))
	mp.screenshot(shots, "groups-pending")

	// 2. L accepts it on the management page, which the menu shows to
	// managers: L's dashboard, from before L led a group, is reloaded first.
	lp.follow("reloading the dashboard", chromedp.Reload())
	lp.menu("/groups/manage")
	row := fmt.Sprintf(`#pending-requests tr[data-account-id="%d"][data-group-id="%d"]`, mAcc, scouts.ID)
	lp.waitVisible(row)
	lp.wantText(row, name(m), "Scouts", "Join")
	if kind := lp.attr(row, "data-kind"); kind != "join" {
		t.Errorf("the request is a %q request, want join", kind)
	}
	lp.wantText("#managed-groups", "Scouts")
	lp.screenshot(shots, "manage-request")
	req := lp.attr(row, "data-request-id")
	lp.follow("clicking Accept", lp.press("#accept-"+req))
	lp.wantAt(site.URL, "/groups/manage")
	lp.wantText(".alert", "Accepted", "Scouts", name(m))
	lp.waitVisible("#no-pending")
	lp.screenshot(shots, "manage")

	// 3. M is in Scouts: on the groups page and on the dashboard.
	mp.follow("reloading the groups page", chromedp.Reload())
	mp.wantText("#your-groups", "Scouts")
	if got := mp.attr(item(scouts), "data-member"); got != "true" {
		t.Errorf("Scouts: data-member=%q, want true", got)
	}
	mp.waitVisible(fmt.Sprintf("#leave-%d", scouts.ID))
	mp.menu("/dashboard")
	mp.wantText("#groups", "Scouts")

	// 4. EVE moves M into X; the affiliations job finds it and M gets
	// Mining Division, which they cannot leave.
	if err := u.MoveCharacter(m, x); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, affiliations.SyncArgs{})
	mp.follow("reloading the dashboard", chromedp.Reload())
	mp.wantText("#groups", "Mining Division", "Scouts")
	mp.menu("/groups")
	mp.wantText("#your-groups", "Mining Division", "Scouts")
	mp.wantText("#your-groups "+item(mining)+" [data-badge=automatic]", "automatic")
	if mp.visible(fmt.Sprintf("#leave-%d", mining.ID)) {
		t.Error("Mining Division, an automatic group, has a Leave button")
	}
	mp.screenshot(shots, "groups")

	// 5. The database agrees.
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := site.DB.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for _, g := range []groups.Group{scouts, mining} {
		if n := count(`SELECT count(*) FROM group_members WHERE account_id = $1 AND group_id = $2`, mAcc, g.ID); n != 1 {
			t.Errorf("M's account is in %s %d times, want once", g.Name, n)
		}
		if n := count(`SELECT count(*) FROM access_events WHERE account_id = $1 AND group_id = $2 AND kind = $3`, mAcc, g.ID,
			string(access.EventGroupAdded)); n != 1 {
			t.Errorf("%d %s events of %s for M's account, want 1", n, access.EventGroupAdded, g.Name)
		}
	}
	if n := count(`SELECT count(*) FROM group_members WHERE account_id = $1`, lAcc); n != 0 {
		t.Errorf("L's account is in %d groups, want none", n)
	}
	if n := count(`SELECT count(*) FROM group_log WHERE group_id = $1 AND account_id = $2 AND request = 'join' AND action = 'accept' AND actor_id = $3`,
		scouts.ID, mAcc, lAcc); n != 1 {
		t.Errorf("%d log entries of L accepting M into Scouts, want 1", n)
	}
	if n := count(`SELECT count(*) FROM group_requests WHERE group_id = $1 AND account_id = $2 AND status = 'accepted' AND decided_by = $3`,
		scouts.ID, mAcc, lAcc); n != 1 {
		t.Errorf("%d requests of M to Scouts accepted by L, want 1", n)
	}
}

// attr gives the attribute of the first element sel finds; "" when there
// is none or it lacks the attribute.
func (p *page) attr(sel, name string) string {
	p.t.Helper()
	return run(p, "reading "+name+" of "+sel, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return e?.getAttribute(%s) ?? ""; })()`, jsString(sel), jsString(name))))
}

// exists tells whether sel finds anything on the page, shown or not.
func (p *page) exists(sel string) bool {
	p.t.Helper()
	return run(p, "looking for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%s)`, jsString(sel))))
}

// noQueue takes the recomputation a new group queues and runs none: the
// test runs a full one itself once both groups exist (site.RunJob), and
// waits for it.
type noQueue struct{}

func (noQueue) InsertTx(context.Context, *store.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}

var _ access.Inserter = noQueue{}
