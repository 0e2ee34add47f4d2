package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestAppsInABrowser is an app admin at a desktop and at a phone setting up
// an app of the Application API and using it: they create the app from the
// administration menu, give it a role, a group and themself as manager, are
// refused a group whose name apps cannot read, make the app's secret as its
// manager on My apps and read it off the page; the secret then authenticates
// the app over HTTP, and a second one ends the first. No page breaks the
// Content-Security-Policy (a violation is a console error, which fails the
// test) nor is wider than a phone's screen.
func TestAppsInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testApps)
}

func testApps(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	m := site.AccountCharacters(t, 1)[0]
	char, err := site.Sim.Universe.Character(m)
	if err != nil {
		t.Fatal(err)
	}
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)

	p.visit("/")
	p.logIn(m)
	acc, err := site.Accounts().Character(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Accounts().SetRoles(ctx, acc.AccountID, []string{access.RoleAppAdmin}, false); err != nil {
		t.Fatal(err)
	}
	// The groups: fleet-commanders, mapped to the member's corporation so
	// that the member is in it, and Mining Division, whose name the
	// Application API cannot give.
	gs := groups.New(site.DB, groups.Options{Queue: noQueue{}})
	fleet, err := gs.Create(ctx, groups.Input{Name: "fleet-commanders", Corporations: []int32{char.CorporationID}})
	if err != nil {
		t.Fatal(err)
	}
	mining, err := gs.Create(ctx, groups.Input{Name: "Mining Division"})
	if err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	store := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	myApps := `#site-nav a.nav-link[href="/apps"]`

	// 1. The admin creates Killboard from the administration menu.
	p.follow("reloading the dashboard", chromedp.Reload())
	if p.exists(myApps) {
		t.Error("the menu offers My apps to a member who manages no app")
	}
	p.adminMenu("/admin/apps")
	p.wantText("h1", "Apps")
	p.waitVisible("#no-apps")
	p.do("typing the app's name", chromedp.SendKeys(chromedp.CSS("#name"), "Killboard"))
	p.follow("clicking Create", p.press("#create-app"))
	match := regexp.MustCompile(`^/admin/apps/([0-9]+)$`).FindStringSubmatch(p.url().Path)
	if match == nil {
		t.Fatalf("at %s after creating the app", p.url())
	}
	id, _ := strconv.ParseInt(match[1], 10, 64)
	p.wantText(".alert", "The app Killboard was created.")
	p.wantText("#app-name", "Killboard")
	p.wantText("#secret-state", "no secret yet")
	if !p.checked("#role-app") {
		t.Error("a new app lacks the role app")
	}
	p.screenshot(shots, "app-created")

	// On the app's page: the role app-groups, fleet-commanders and the
	// admin themself as manager, by their character's name.
	p.tick("#role-app-groups", true)
	p.tick(fmt.Sprintf("#group-%d", fleet.ID), true)
	p.do("typing the manager", chromedp.SendKeys(chromedp.CSS("#managers"), char.Name))
	p.follow("clicking Save", p.press("#save-app"))
	p.wantAt(site.URL, fmt.Sprintf("/admin/apps/%d", id))
	p.wantText(".alert", "The app Killboard was saved.")
	p.wantText("#managers-known", char.Name, fmt.Sprintf("#%d", acc.AccountID))
	for _, sel := range []string{"#role-app", "#role-app-groups", fmt.Sprintf("#group-%d", fleet.ID)} {
		if !p.checked(sel) {
			t.Errorf("%s is not ticked after saving", sel)
		}
	}
	if p.checked(fmt.Sprintf("#group-%d", mining.ID)) {
		t.Error("Mining Division is ticked after saving without it")
	}
	saved, err := store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(saved.Roles, []string{appapi.RoleApp, appapi.RoleGroups}) || !slices.Equal(saved.Groups, []int64{fleet.ID}) ||
		!slices.Equal(saved.Managers, []int64{acc.AccountID}) || saved.HasSecret {
		t.Fatalf("saved: %+v", saved)
	}
	p.screenshot(shots, "app-saved")

	// 2. Mining Division: the page refuses it and says why; nothing is saved.
	p.tick(fmt.Sprintf("#group-%d", mining.ID), true)
	p.refused("saving with Mining Division", http.StatusUnprocessableEntity, p.press("#save-app"))
	p.wantText("#problems", "Nothing was saved")
	p.wantText("#groups", "“Mining Division”", "Rename the group first")
	// The form keeps what was typed, to be corrected.
	if !p.checked(fmt.Sprintf("#group-%d", mining.ID)) || !p.checked("#role-app-groups") {
		t.Error("the refused form lost what was ticked")
	}
	if got := p.value("#managers"); got != char.Name {
		t.Errorf("the refused form's managers: %q, want %q", got, char.Name)
	}
	p.screenshot(shots, "app-refused")
	if got, err := store.Get(ctx, id); err != nil || got.Version != saved.Version || !slices.Equal(got.Groups, []int64{fleet.ID}) {
		t.Fatalf("after the refused form: %+v, %v; want it unchanged: %+v", got, err, saved)
	}

	// 3. The admin manages the app now: My apps is in the top bar. (The
	// app's page is opened anew: a reload would send the refused form again.)
	p.visit(fmt.Sprintf("/admin/apps/%d", id))
	if !p.exists(myApps) {
		t.Fatalf("the menu lacks My apps for a manager: %q", p.text("#site-nav"))
	}
	p.wantText(myApps, "My apps")
	p.menu("/apps")
	card := fmt.Sprintf("#app-%d", id)
	p.waitVisible(card)
	p.wantText(card, "Killboard", "app-groups", "fleet-commanders", "no secret yet")
	if p.exists(fmt.Sprintf("#confirm-%d", id)) {
		t.Error("the first secret asks to confirm replacing one")
	}
	p.screenshot(shots, "my-apps")
	secret1 := p.newSecret(id, false)
	p.screenshot(shots, "secret")

	// 4. The secret authenticates the app.
	show := func(secret string) (int, string) {
		t.Helper()
		return callApp(ctx, t, site.URL+"/api/app/v1/show", id, secret)
	}
	status, body := show(secret1)
	if status != http.StatusOK {
		t.Fatalf("show with the secret: %d %s", status, body)
	}
	var info struct {
		ID     int64    `json:"id"`
		Name   string   `json:"name"`
		Roles  []string `json:"roles"`
		Groups []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("show: %v: %s", err, body)
	}
	if info.ID != id || info.Name != "Killboard" || !slices.Equal(info.Roles, []string{"app", "app-groups"}) ||
		len(info.Groups) != 1 || info.Groups[0].ID != fleet.ID || info.Groups[0].Name != "fleet-commanders" {
		t.Errorf("show: %s", body)
	}
	// The member is in fleet-commanders (their corporation's group).
	status, body = callApp(ctx, t, fmt.Sprintf("%s/api/app/v2/groups/%d", site.URL, m), id, secret1)
	var theirs []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(body), &theirs); status != http.StatusOK || err != nil {
		t.Fatalf("the member's groups: %d %v: %s", status, err, body)
	}
	if len(theirs) != 1 || theirs[0].ID != fleet.ID || theirs[0].Name != "fleet-commanders" {
		t.Errorf("the member's groups: %s, want fleet-commanders", body)
	}

	// 5. A second secret: first refused without the box ticked, then
	// made; it ends the first at once.
	p.follow("going back to My apps", p.press(`a.btn[href="/apps"]`))
	p.wantAt(site.URL, "/apps")
	p.wantText(card, "has a secret")
	p.refused("asking for a new secret unconfirmed", http.StatusUnprocessableEntity, p.press(fmt.Sprintf("#new-secret-%d", id)))
	p.wantText("#secret-problem", "Tick the box first")
	if status, body := show(secret1); status != http.StatusOK {
		t.Fatalf("an unconfirmed request replaced the secret: %d %s", status, body)
	}
	p.screenshot(shots, "my-apps-confirm")
	secret2 := p.newSecret(id, true)
	if secret2 == secret1 {
		t.Fatal("the second secret is the first")
	}
	if status, body := show(secret1); status != http.StatusUnauthorized {
		t.Errorf("the first secret after the second: %d %s, want 401", status, body)
	}
	if status, body := show(secret2); status != http.StatusOK {
		t.Errorf("the second secret: %d %s, want 200", status, body)
	}
	p.screenshot(shots, "secret-replaced")
}

// newSecret presses Generate new secret of app id on My apps, ticking the
// box that confirms the replacement when the app has one (replace), and
// reads the secret off the page that shows it once.
func (p *page) newSecret(id int64, replace bool) string {
	p.t.Helper()
	if replace {
		p.tick(fmt.Sprintf("#confirm-%d", id), true)
	}
	p.follow("clicking Generate new secret", p.press(fmt.Sprintf("#new-secret-%d", id)))
	p.wantAt(p.site.URL, fmt.Sprintf("/apps/%d/secret", id))
	p.wantText("h1", "New secret of Killboard")
	p.wantText("#secret-once", "never show it again")
	if got := p.visible("#secret-replaced"); got != replace {
		p.t.Errorf("the page says the old secret stopped working: %v, want %v", got, replace)
	}
	if got := p.text("#app-id"); got != strconv.FormatInt(id, 10) {
		p.t.Errorf("the page shows the app id %q, want %d", got, id)
	}
	secret := p.text("#secret")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		p.t.Fatalf("the page shows the secret %q", secret)
	}
	// The header the page offers is the one an app sends.
	if got, want := p.text("#authorization"), "Authorization: "+bearer(id, secret); got != want {
		p.t.Errorf("the page shows the header %q, want %q", got, want)
	}
	p.wantText("#example", "/api/app/v1/show")
	return secret
}

// refused runs steps that submit a form the site refuses with status, and
// checks the page that answered, as loaded does for a 200.
func (p *page) refused(what string, status int, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	res, err := chromedp.RunResponse(p.ctx, steps...)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	if res.Status != int64(status) {
		p.t.Fatalf("%s: %s answered %d, want %d", what, res.URL, res.Status, status)
	}
	p.forgive(res.URL, status)
	p.fitsWidth()
}

// forgive takes off the console the error Chromium writes for a page
// answered with an error status ("Failed to load resource: the server
// responded with a status of 422"): a refusal is the page working as meant,
// and the console check is for the page's own faults. Chromium writes it as
// the page loads, and the page's console reaches the list a moment later,
// so forgive waits for it: a refused page that never shows it is a test
// that cannot tell, and ends with the test's time.
func (p *page) forgive(url string, status int) {
	p.t.Helper()
	want := fmt.Sprintf("the server responded with a status of %d", status)
	for {
		p.mu.Lock()
		i := slices.IndexFunc(p.console, func(m string) bool {
			return strings.Contains(m, want) && strings.HasSuffix(m, "("+url+":1)")
		})
		if i >= 0 {
			p.console = slices.Delete(p.console, i, i+1)
		}
		p.mu.Unlock()
		if i >= 0 {
			return
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("the console never showed the %d of %s", status, url)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tick sets the checkbox sel finds to on, clicking (or tapping) it as a
// person does.
func (p *page) tick(sel string, on bool) {
	p.t.Helper()
	if p.checked(sel) != on {
		p.do("ticking "+sel, p.press(sel))
	}
	if p.checked(sel) != on {
		p.t.Fatalf("%s stays ticked=%v after pressing it", sel, !on)
	}
}

// checked tells whether the checkbox sel finds is ticked.
func (p *page) checked(sel string) bool {
	p.t.Helper()
	return run(p, "reading "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%s)?.checked`, jsString(sel))))
}

// value gives the value of the field sel finds.
func (p *page) value(sel string) string {
	p.t.Helper()
	return run(p, "reading "+sel, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.value ?? ""`, jsString(sel))))
}

// bearer is the Authorization header value of an app: Bearer and
// base64("<id>:<secret>").
func bearer(id int64, secret string) string {
	return "Bearer " + base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)+":"+secret))
}

// callApp gets url as app id with its secret, as an app does, and gives
// the status and the body.
func callApp(ctx context.Context, t *testing.T, url string, id int64, secret string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", bearer(id, secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, string(body)
}
