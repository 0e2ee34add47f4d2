package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestFirstHourInABrowser is issue 14's new admin, at a desktop and at a
// phone: on a blank site, the first superuser follows the setup checklist
// from their first login to a Member state for their alliance (picked by
// name) and a group mapped to their corporation (picked by name); a second
// member of that corporation logs in and gets both; deleting the group or
// the state asks first, counting who would lose it.
func TestFirstHourInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testFirstHour)
}

func testFirstHour(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	u := site.Sim.Universe
	su := site.AccountCharacters(t, 1)[0]
	me, err := u.Character(su)
	if err != nil {
		t.Fatal(err)
	}
	corp, err := u.Corporation(me.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	if corp.AllianceID == 0 {
		corp.AllianceID = u.Alliances()[0]
		if err := u.SetCorporationAlliance(corp.ID, corp.AllianceID); err != nil {
			t.Fatal(err)
		}
	}
	alliance, err := u.Alliance(corp.AllianceID)
	if err != nil {
		t.Fatal(err)
	}
	// The second member: a character of another player, moved into the
	// admin's corporation before their first login.
	second := site.AccountCharacters(t, 1, su)[0]
	if err := u.MoveCharacter(second, corp.ID); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)
	shots := t.TempDir()
	p.visit("/")
	p.logIn(su)
	// The first administrator, as the README says: `keepstar admin grant`.
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	p.follow("reloading the dashboard", chromedp.Reload())
	p.waitVisible("#setup")
	p.follow("opening the checklist", p.press("#setup-open"))
	p.wantAt(site.URL, "/admin/setup")
	p.screenshot(shots, "checklist-new")
	for step, done := range map[string]bool{"state": false, "groups": false} {
		if got := p.attr("#setup-"+step, "data-done"); got != strconv.FormatBool(done) {
			t.Errorf("on a blank site the step %s is done=%s", step, got)
		}
	}

	// The state: Member, for the alliance, picked by name.
	p.follow("following the state step", p.press("#setup-state a"))
	p.wantAt(site.URL, "/admin/states")
	var member int64
	if err := site.DB.QueryRow(ctx, `SELECT id FROM states WHERE name = 'Member'`).Scan(&member); err != nil {
		t.Fatal(err)
	}
	p.follow("editing Member", p.press(fmt.Sprintf(`a[href="/admin/states/%d"]`, member)))
	p.pickByName("#alliances", alliance.Name, corp.AllianceID)
	p.follow("saving Member", p.press("#save-state"))
	p.visit(fmt.Sprintf("/admin/states/%d", member))
	p.wantText("#alliances-known", alliance.Name)

	// The group: mapped to the corporation, picked by name.
	p.visit("/admin/setup")
	if got := p.attr("#setup-state", "data-done"); got != "true" {
		t.Errorf("the state step is done=%s after Member took the alliance", got)
	}
	p.follow("following the groups step", p.press("#setup-groups a"))
	p.wantAt(site.URL, "/admin/groups")
	p.follow("starting a group", p.press("#new-group"))
	p.do("naming the group", chromedp.SendKeys("#name", "Corp members"))
	p.pickByName("#corporations", corp.Name, corp.ID)
	p.follow("creating the group", p.press("#save-group"))
	var group int64
	if err := site.DB.QueryRow(ctx, `SELECT id FROM groups WHERE name = 'Corp members'`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	p.visit("/admin/setup")
	if got := p.attr("#setup-groups", "data-done"); got != "true" {
		t.Errorf("the groups step is done=%s after a group was made", got)
	}
	p.screenshot(shots, "checklist-later")

	// The second member logs in and, once the access engine has run, has
	// the state and the group.
	b := site.NewBrowser(t)
	b.LogIn(t, second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := b.Get(t, "/dashboard").Body
		hasState := strings.Contains(body, `id="state">Member<`)
		hasGroup := strings.Contains(body, fmt.Sprintf(`data-group-id="%d"`, group))
		if hasState && hasGroup {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second member has state=%v group=%v:\n%s", hasState, hasGroup, body)
		}
		time.Sleep(200 * time.Millisecond) // the access engine runs as a job
	}

	// Every destructive action asks first, counting what it would do; the
	// admin thinks better of it, and nothing is lost.
	for _, c := range []struct{ page, button, want string }{
		{fmt.Sprintf("/admin/groups/%d", group), "#delete-group", "2 members lose this group."}, // the admin and the second member,
		{fmt.Sprintf("/admin/states/%d", member), "#delete-state", "2 accounts in this state move"},
	} {
		p.visit(c.page)
		p.follow("pressing "+c.button, p.press(c.button))
		p.wantText("#confirm-consequences", c.want)
		p.screenshot(shots, "confirm-"+strings.TrimPrefix(c.button, "#"))
		p.follow("cancelling", p.press("#confirm-cancel"))
		p.wantAt(site.URL, c.page)
	}
	var left int
	if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM groups WHERE id = $1`, group).Scan(&left); err != nil || left != 1 {
		t.Errorf("the group after cancelling its deletion: %d (%v)", left, err)
	}
}

// pickByName types name into the name search of the id list field, picks
// the match of id, and waits until the field holds it. The whole name, so
// that the match is among the few the search lists however many names
// share its start.
func (p *page) pickByName(field, name string, id int32) {
	p.t.Helper()
	find := field + "-find"
	option := fmt.Sprintf(`%s ~ .eve-names [role=option][data-id="%d"]`, field, id)
	p.waitVisible(find)
	p.do("typing a name", chromedp.SendKeys(find, name))
	p.waitVisible(option)
	p.do("picking "+name, p.press(option))
	p.waitValue(field, strconv.Itoa(int(id)))
	// The list closes once a match is picked; a tap while it closes would
	// land where the page was.
	p.do("waiting for the list to close", chromedp.WaitNotVisible(chromedp.CSS(field+" ~ .eve-names [role=listbox]")))
}
