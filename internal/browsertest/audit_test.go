package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// TestEveryPageIsAccessible audits every page of the site with axe-core, at
// a desktop and at a phone, in every theme: as a superuser on a site with
// something on every page (a state, groups with a member and a request, an
// app, an EVE login, a reserved name, an autogroup configuration), and the
// public pages as a visitor who is not logged in, and the simulated SSO's
// page. A serious or critical violation fails the test, listed by page and
// rule with the themes it shows in. On a phone, no page is wider than the
// screen and no button lies beyond its edge. Screenshots of the main pages
// at both sizes are kept as the test's artifacts.
//
// A GET route of the site that the audit neither visits nor says why it
// skips fails the test: a new page is audited from the day it is added.
func TestEveryPageIsAccessible(t *testing.T) {
	atDesktopAndPhone(t, testAccessible)
}

// auditSkipped are the GET routes that are no page to audit, and why.
var auditSkipped = map[string]string{
	"GET /healthz":                 "plain text",
	"GET /readyz":                  "plain text",
	"GET /metrics":                 "plain text",
	"GET /static/{file...}":        "assets",
	"GET /site/logo":               "an image",
	"GET /characters/add":          "a redirect to the SSO",
	"GET /sso/login":               "a redirect to the SSO",
	"GET /sso/login/{login}":       "a redirect to the SSO",
	"GET /sso/callback":            "the SSO's return, a redirect",
	"GET /notifications/unread":    "a fragment of every page (the unread count)",
	"GET /api":                     "a redirect to /api.html",
	"GET /api/me":                  "JSON",
	"GET /api/me/notifications":    "JSON",
	"GET /api/admin/accounts/{id}": "JSON",
	"GET /application-api-3.yml":   "an API description",
	"GET /keepstar-web.yml":        "an API description",
	"GET /api/openapi.json":        "an API description",
	"GET /api/app/openapi.json":    "an API description",
	"GET /admin/jobs/":             "River UI, not Keepstar's pages (TestRiverUIInABrowser loads it)",
	"GET /admin/jobs/{path...}":    "River UI",
	"GET /api/eve/names":           "JSON",
	// Every confirmation is the one page of web.HandleConfirmed, audited
	// through those of states, EVE logins, apps and deactivations.
	"GET /admin/groups/{id}/delete":                    "the shared confirmation page",
	"GET /admin/autogroups/{id}/delete":                "the shared confirmation page",
	"GET /characters/{id}/delete":                      "the shared confirmation page",
	"GET /admin/accounts/{id}/characters/{cid}/delete": "the shared confirmation page",
	"GET /admin/services/{slug}/delete":                "the shared confirmation page",
	"GET /services/{slug}/deactivate":                  "the shared confirmation page",
	"GET /services/{slug}/link":                        "a redirect to the service's OAuth2 consent page",
	"GET /services/{slug}/callback":                    "the service's return, a redirect",
	"GET /tracking/{id}/csv":                           "CSV",
	"GET /fat/stats/csv":                               "CSV",
	"GET /fat/stats/corporations/{id}/csv":             "CSV",
	"GET /srp/fleets/{id}/csv":                         "CSV",
	"GET /services/{slug}/sso":                         "a redirect back to the service with Keepstar's signed answer",
	"GET /timers/{id}/delete":                          "the shared confirmation page",
	"GET /fleetops/{id}/delete":                        "the shared confirmation page",
	"GET /calendar/feed/{file}":                        "an iCalendar feed",
}

// auditFixtures is what the audited site holds, named for the pages' paths.
type auditFixtures struct {
	su, member             int32
	suAccount, mAccount    int64
	group, requested       int64
	state                  int64
	app                    int64
	watchlist              int64
	timer, operation       int64
	trackedCorp            int32
	fatLink                fat.Link
	srpFleet               int64
	hrForm, hrApplication  int64
	login                  string
	permission             string
	service                string
	mainPages, publicPages []string
}

func testAccessible(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{ServiceTypes: []services.TypeConstructor{auditServiceType}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	shots := t.ArtifactDir()
	p := openBrowser(ctx, t, exe, site, vp)
	f := setUpAudit(ctx, t, site, p)
	anon := p.stranger()

	pages := map[string]string{ // route → path, as the superuser
		"GET /dashboard":                      "/dashboard",
		"GET /characters":                     "/characters",
		"GET /profile":                        "/profile",
		"GET /sessions":                       "/sessions",
		"GET /tokens":                         "/tokens",
		"GET /notifications":                  "/notifications",
		"GET /groups":                         "/groups",
		"GET /groups/manage":                  "/groups/manage",
		"GET /groups/{id}":                    fmt.Sprintf("/groups/%d", f.group),
		"GET /groups/{id}/members":            fmt.Sprintf("/groups/%d/members", f.group),
		"GET /groups/{id}/log":                fmt.Sprintf("/groups/%d/log", f.group),
		"GET /apps":                           "/apps",
		"GET /admin/accounts":                 "/admin/accounts",
		"GET /admin/accounts/{id}":            fmt.Sprintf("/admin/accounts/%d", f.mAccount),
		"GET /admin/apps":                     "/admin/apps",
		"GET /admin/apps/{id}":                fmt.Sprintf("/admin/apps/%d", f.app),
		"GET /admin/groups":                   "/admin/groups",
		"GET /admin/groups/new":               "/admin/groups/new",
		"GET /admin/groups/{id}":              fmt.Sprintf("/admin/groups/%d", f.group),
		"GET /admin/autogroups":               "/admin/autogroups",
		"GET /admin/reserved-names":           "/admin/reserved-names",
		"GET /admin/states":                   "/admin/states",
		"GET /admin/states/new":               "/admin/states/new",
		"GET /admin/states/{id}":              fmt.Sprintf("/admin/states/%d", f.state),
		"GET /admin/permissions":              "/admin/permissions",
		"GET /admin/permissions/{name}":       "/admin/permissions/" + f.permission,
		"GET /admin/roles":                    "/admin/roles",
		"GET /admin/eve-logins":               "/admin/eve-logins",
		"GET /admin/eve-logins/{name}":        "/admin/eve-logins/" + f.login,
		"GET /admin/settings":                 "/admin/settings",
		"GET /admin/operations":               "/admin/operations",
		"GET /admin/setup":                    "/admin/setup",
		"GET /admin/services":                 "/admin/services",
		"GET /admin/services/{slug}":          "/admin/services/" + f.service,
		"GET /admin/services/{slug}/audit":    "/admin/services/" + f.service + "/audit",
		"GET /services":                       "/services",
		"GET /pings":                          "/pings",
		"GET /admin/evemail":                  "/admin/evemail",
		"GET /admin/states/{id}/delete":       fmt.Sprintf("/admin/states/%d/delete", f.state),
		"GET /admin/eve-logins/{name}/delete": "/admin/eve-logins/" + f.login + "/delete",
		"GET /admin/apps/{id}/delete":         fmt.Sprintf("/admin/apps/%d/delete", f.app),
		"GET /watchlists":                     "/watchlists",
		"GET /watchlists/{id}":                fmt.Sprintf("/watchlists/%d", f.watchlist),
		"GET /watchlists/{id}/manage":         fmt.Sprintf("/watchlists/%d/manage", f.watchlist),
		"GET /admin/watchlists":               "/admin/watchlists",
		"GET /tracking":                       "/tracking",
		"GET /tracking/{id}":                  fmt.Sprintf("/tracking/%d", f.trackedCorp),
		"GET /admin/tracking":                 "/admin/tracking",
		"GET /corpstats":                      "/corpstats",
		"GET /corpstats/add":                  "/corpstats/add",
		"GET /corpstats/search":               "/corpstats/search?q=a",
		"GET /corpstats/{id}":                 fmt.Sprintf("/corpstats/%d?view=members", f.trackedCorp),
		"GET /admin/watchlists/{id}/delete":   fmt.Sprintf("/admin/watchlists/%d/delete", f.watchlist),
		"GET /admin/accounts/{id}/deactivate": fmt.Sprintf("/admin/accounts/%d/deactivate", f.mAccount),
		"GET /fat":                            "/fat",
		"GET /fat/click/{hash}":               "/fat/click/" + f.fatLink.Hash,
		"GET /fat/links":                      "/fat/links",
		"GET /fat/links/{id}":                 fmt.Sprintf("/fat/links/%d", f.fatLink.ID),
		"GET /fat/stats":                      "/fat/stats",
		"GET /srp":                            "/srp",
		"GET /srp/fleets/{id}":                fmt.Sprintf("/srp/fleets/%d", f.srpFleet),
		"GET /fat/stats/corporations/{id}":    fmt.Sprintf("/fat/stats/corporations/%d", f.trackedCorp),
		"GET /timers":                         "/timers",
		"GET /timers/add":                     "/timers/add",
		"GET /timers/{id}/edit":               fmt.Sprintf("/timers/%d/edit", f.timer),
		"GET /fleetops":                       "/fleetops",
		"GET /fleetops/add":                   "/fleetops/add",
		"GET /fleetops/{id}/edit":             fmt.Sprintf("/fleetops/%d/edit", f.operation),
		"GET /calendar":                       "/calendar",
		"GET /hr":                             "/hr",
		"GET /hr/apply/{id}":                  fmt.Sprintf("/hr/apply/%d", f.hrForm),
		"GET /hr/mine/{id}":                   fmt.Sprintf("/hr/mine/%d", f.hrApplication),
		"GET /hr/forms":                       "/hr/forms",
		"GET /hr/forms/{id}":                  fmt.Sprintf("/hr/forms/%d", f.hrForm),
		"GET /hr/review":                      "/hr/review",
		"GET /hr/review/{id}":                 fmt.Sprintf("/hr/review/%d", f.hrApplication),
		"GET /api.html":                       "", // the same logged out, and long to audit: once
		"GET /{$}":                            "", // the home page, logged out below
		"GET /admin/groups/{id}/members":      "", // when it exists, linked from the group's admin page
	}
	// Logged out: the home page, the home page an admin page sends a
	// visitor to, the API page, a page that does not exist.
	public := []string{"/", "/admin/groups", "/api.html", "/no-such-page"}
	anon.ignoreConsole(site.URL + "/no-such-page")

	var missing []string
	for _, r := range site.Routes() {
		if !strings.HasPrefix(r.Pattern, "GET ") {
			continue
		}
		// The Application API answers apps in JSON.
		if strings.HasPrefix(r.Pattern, "GET /api/app/") {
			continue
		}
		if _, ok := pages[r.Pattern]; !ok && auditSkipped[r.Pattern] == "" {
			missing = append(missing, r.Pattern)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the audit visits no page of %s: add each to the pages of testAccessible, or to auditSkipped with the reason", missing)
	}
	var paths []string
	for _, path := range pages {
		if path != "" {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)

	// Each theme through the settings that choose it: the superuser's own
	// on their pages, the site's default on a visitor's. Each page is then
	// audited in full in the first theme, and for colours in the others,
	// worn in place: a theme changes the stylesheet and two attributes of
	// <html>, nothing else (wearing checks what the server renders), and a page loaded
	// once instead of once a theme keeps the audit to minutes.
	hrefs := map[string]string{}
	for _, th := range slices.Backward(web.Themes) { // ends on the first
		if err := site.Accounts().SetPreferences(ctx, f.suAccount, "", th.ID); err != nil {
			t.Fatal(err)
		}
		p.setDefaultTheme(th.ID)
		hrefs[th.ID] = p.wearing(th)
		anon.visit("/")
		if got := anon.wearing(th); got != hrefs[th.ID] {
			t.Errorf("a visitor's page wears %s in theme %s, the superuser's %s", got, th.ID, hrefs[th.ID])
		}
	}

	var found findings
	var wide []string
	start := time.Now()
	audit := func(p *page, label, path string, shoot bool) {
		for i, th := range web.Themes {
			if i > 0 {
				p.wear(th, hrefs[th.ID])
			}
			found.add(label+path, th.ID, p.audit(i > 0))
			if vp.phone {
				p.fitsWidth()
				if off := p.offScreen(); len(off) > 0 {
					wide = append(wide, fmt.Sprintf("%s%s (%s): %s", label, path, th.ID, strings.Join(off, ", ")))
				}
			}
			if i == 0 && shoot {
				p.screenshot(shots, shotName(label, path))
			}
		}
	}
	for _, path := range paths {
		p.visit(path)
		p.waitIdle()
		audit(p, "", path, slices.Contains(f.mainPages, path))
	}
	for _, path := range public {
		anon.open(path)
		anon.waitIdle()
		audit(anon, "(logged out) ", path, path != "/no-such-page")
	}
	// The simulated SSO's page has one look of its own.
	anon.visit("/")
	anon.follow("clicking Log in with EVE Online", anon.press("#login"))
	found.add("(simulated SSO) /v2/oauth/authorize", "own", anon.audit(false))
	anon.screenshot(shots, "sso-simulator")
	t.Logf("audited %d pages in %d themes in %s", len(paths)+len(public)+1, len(web.Themes), time.Since(start).Round(time.Second))

	if len(found.order) > 0 {
		t.Errorf("axe-core finds serious or critical violations:%s", found.String())
	}
	if len(wide) > 0 {
		t.Errorf("controls beyond the edge of a phone's screen:\n%s", strings.Join(slices.Compact(wide), "\n"))
	}
}

// open visits path, whatever it answers: for pages that answer an error
// (404) or redirect elsewhere (an admin page to the home page).
func (p *page) open(path string) {
	p.t.Helper()
	res := run(p, "opening "+path, chromedp.NavigateResponse(p.site.URL+path))
	if res.Status >= http.StatusInternalServerError {
		p.t.Fatalf("opening %s: %s answered %d", path, res.URL, res.Status)
	}
	p.fitsWidth()
}

// wearing checks that the page wears theme th, as the server rendered it,
// and gives the URL of its stylesheet.
func (p *page) wearing(th web.Theme) string {
	p.t.Helper()
	got := run(p, "reading the theme", chromedp.Evaluate[[]string](
		`[document.documentElement.dataset.theme, document.documentElement.dataset.bsTheme, document.getElementById("theme-css").getAttribute("href")]`))
	want := "light"
	if th.Dark {
		want = "dark"
	}
	if got[0] != th.ID || got[1] != want || !strings.Contains(got[2], th.CSS) {
		p.t.Fatalf("%s wears %q (%s, %s), want theme %s (%s, %s)", p.location(), got[0], got[1], got[2], th.ID, want, th.CSS)
	}
	return got[2]
}

// wear puts theme th on the page as it is, as the server would have
// rendered it: its stylesheet (href, as wearing read it), loaded before
// this returns, and the attributes of <html> that name it; it returns once
// the colours have finished changing.
func (p *page) wear(th web.Theme, href string) {
	p.t.Helper()
	p.do("wearing "+th.ID, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(async () => {
		const link = document.getElementById("theme-css");
		if (link.getAttribute("href") !== %[1]s) {
			await new Promise((ok, fail) => { link.onload = ok; link.onerror = fail; link.setAttribute("href", %[1]s); });
		}
		document.documentElement.dataset.bsTheme = %[2]s;
		document.documentElement.dataset.theme = %[3]s;
		// Colours change through the theme's transitions: audited halfway,
		// a link would have neither theme's colour.
		await new Promise(requestAnimationFrame);
		await Promise.race([new Promise(done => setTimeout(done, 2000)),
			Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => {})))]);
	})()`, jsString(href), jsString(map[bool]string{true: "dark", false: "light"}[th.Dark]), jsString(th.ID)), chromedp.EvalAwaitPromise))
}

// setDefaultTheme saves the site's default theme on the settings page, as
// a superuser does: the setting a visitor who is not logged in sees.
func (p *page) setDefaultTheme(id string) {
	p.t.Helper()
	p.visit("/admin/settings")
	sel := `select[name="site.default_theme"]`
	p.do("choosing the theme "+id, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), id))
	p.follow("saving the settings", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`document.querySelector(%s).form.requestSubmit()`, jsString(sel))))
	p.wantAt(p.site.URL, "/admin/settings")
}

// setUpAudit logs the superuser in, in p, and fills the site with one of
// everything an admin's pages list.
func setUpAudit(ctx context.Context, t *testing.T, site *sitetest.Site, p *page) *auditFixtures {
	t.Helper()
	chars := site.AccountCharacters(t, 2)
	f := &auditFixtures{su: chars[0], member: chars[1], permission: access.RequestPermission,
		mainPages: []string{"/dashboard", "/characters", "/groups", "/groups/manage", "/admin/accounts", "/admin/groups",
			"/admin/states", "/admin/eve-logins", "/admin/apps", "/admin/settings", "/admin/operations", "/admin/permissions", "/admin/setup", "/admin/services"}}
	p.visit("/")
	p.logIn(f.su)
	accs := site.Accounts()
	if _, _, err := accs.GrantSuperuser(ctx, strconv.Itoa(int(f.su))); err != nil {
		t.Fatal(err)
	}
	mb := site.NewBrowser(t)
	mb.LogIn(t, f.member)
	accountOf := func(id int32) int64 {
		c, err := accs.Character(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.AccountID
	}
	f.suAccount, f.mAccount = accountOf(f.su), accountOf(f.member)
	suChar, err := site.Sim.Universe.Character(f.su)
	if err != nil {
		t.Fatal(err)
	}

	catalogue := access.NewCatalogue(access.Permissions)
	st, err := states.New(site.DB, noQueue{}, catalogue, nil).Create(ctx, states.Input{Name: "Friends of the corporation", Priority: 75,
		Corporations: []int32{suChar.CorporationID}, Permissions: []string{access.RequestPermission}})
	if err != nil {
		t.Fatal(err)
	}
	f.state = st
	gs := groups.New(site.DB, groups.Options{Queue: noQueue{}, Catalogue: catalogue})
	g, err := gs.Create(ctx, groups.Input{Name: "Fleet commanders of the long-range scouting division",
		Description: "Leads fleets; a long description that wraps on a phone.", Managers: []int64{f.suAccount},
		Corporations: []int32{suChar.CorporationID}})
	if err != nil {
		t.Fatal(err)
	}
	f.group = g.ID
	req, err := gs.Create(ctx, groups.Input{Name: "Scouts", Description: "By request.", Managers: []int64{f.suAccount}})
	if err != nil {
		t.Fatal(err)
	}
	f.requested = req.ID
	if _, err := gs.CreateAutogroups(ctx, groups.AutogroupConfig{CorporationGroups: true, CorporationPrefix: "Corp ", NameSource: "ticker"}); err != nil {
		t.Fatal(err)
	}
	if err := gs.Reserve(ctx, "leadership", "Kept for the directors.", f.suAccount); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	if err := access.SetAccountPermissions(ctx, site.DB, f.mAccount, []string{access.RequestPermission}, time.Now()); err != nil {
		t.Fatal(err)
	}
	mb.Post(t, fmt.Sprintf("/groups/%d/join", f.requested), url.Values{})

	l, err := logins.NewStore(site.DB, nil).Create(ctx, logins.Input{Name: "killboard", Description: "Killmails for the killboard.",
		Scopes: "esi-killmails.read_killmails.v1 esi-killmails.read_corporation_killmails.v1"})
	if err != nil {
		t.Fatal(err)
	}
	f.login = l.Name
	a, err := appapi.NewStore(site.DB, site.Config.SecretKey, nil).Create(ctx, appapi.Input{Name: "Killboard",
		Roles: []string{appapi.RoleApp, appapi.RoleGroups}, Groups: []int64{f.requested}, EveLogins: []string{l.Name},
		Managers: []int64{f.suAccount}})
	if err != nil {
		t.Fatal(err)
	}
	f.app = a.ID
	f.watchlist = setUpWatchlist(ctx, t, site, f)
	// The superuser's corporation, tracked (no members read yet), seen
	// through the group its members are put in.
	f.trackedCorp = suChar.CorporationID
	if _, err := site.DB.Exec(ctx, `INSERT INTO tracking_corporations (corporation_id, name, director_id, error)
		VALUES ($1, 'Audited corporation', $2, '')`, f.trackedCorp, f.su); err != nil {
		t.Fatal(err)
	}
	if _, err := site.DB.Exec(ctx, `INSERT INTO tracking_groups (corporation_id, group_id) VALUES ($1, $2)`, f.trackedCorp, f.group); err != nil {
		t.Fatal(err)
	}
	// Its Corp Stats too, added by the superuser: the superuser, the
	// member and a character on no account, read an hour ago.
	now := time.Now().UTC()
	if _, err := site.DB.Exec(ctx, `INSERT INTO corpstats (corporation_id, name, added_by, character_id, login, source, fetched_at,
		expires_at, error, created_at) VALUES ($1, 'Audited corporation', $2, $3, 'core.default', 'esi', $4, $5, '', $4)`,
		f.trackedCorp, f.suAccount, f.su, now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		id   int32
		name string
	}{{f.su, suChar.Name}, {f.member, "Audited member"}, {90999999, "Unregistered pilot"}} {
		if _, err := site.DB.Exec(ctx, `INSERT INTO corpstats_members (corporation_id, character_id, name) VALUES ($1, $2, $3)`,
			f.trackedCorp, m.id, m.name); err != nil {
			t.Fatal(err)
		}
	}
	f.fatLink = setUpFat(ctx, t, site, f.su)
	f.srpFleet = setUpSRP(ctx, t, site, f)
	f.service = setUpServices(ctx, t, site, f)
	f.timer, f.operation = setUpTimers(ctx, t, site, f)
	f.hrForm, f.hrApplication = setUpHR(ctx, t, site, f)
	p.follow("reloading the dashboard", chromedp.Reload())
	return f
}

// shotName names a page's screenshot file: its path, with "logged-out-"
// before the pages of a visitor, "home" for /.
func shotName(label, path string) string {
	name := strings.ReplaceAll(strings.Trim(path, "/"), "/", "-")
	if name == "" {
		name = "home"
	}
	if label != "" {
		name = "logged-out-" + name
	}
	return name
}

// setUpWatchlist makes a watchlist watching the member's corporation, its
// groups the fixtures' group, so that its pages list something.
func setUpWatchlist(ctx context.Context, t *testing.T, site *sitetest.Site, f *auditFixtures) int64 {
	t.Helper()
	var list watchlists.Watchlist
	err := site.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if list, err = watchlists.Create(ctx, tx, "Hostiles"); err != nil {
			return err
		}
		var corp int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(corporation_id, 0) FROM characters WHERE id = $1`, f.member).Scan(&corp); err != nil {
			return err
		}
		for _, l := range watchlists.Lists {
			if err := watchlists.AddEntity(ctx, tx, list.ID, l, watchlists.KindCorporation, corp+int64(len(l))); err != nil {
				return err
			}
		}
		if err := watchlists.SetGroups(ctx, tx, list.ID, false, []int64{f.group}); err != nil {
			return err
		}
		return watchlists.SetGroups(ctx, tx, list.ID, true, []int64{f.group})
	})
	if err != nil {
		t.Fatal(err)
	}
	return list.ID
}

// setUpFat makes a fatlink with the superuser's character recorded on it,
// counted in the month's statistics, as a click would.
// setUpHR makes the application form of the tracked corporation, with a
// free text and a multiple choice question, the superuser's application to
// it, and a recruiter's comment on it.
func setUpHR(ctx context.Context, t *testing.T, site *sitetest.Site, f *auditFixtures) (int64, int64) {
	t.Helper()
	h := hr.NewHR(hr.Deps{DB: site.DB})
	form, err := h.CreateForm(ctx, f.trackedCorp, "We fly every evening.")
	if err != nil {
		t.Fatal(err)
	}
	why, err := h.AddQuestion(ctx, form.ID, hr.QuestionInput{Title: "Why do you want to join?", Help: "A few lines."})
	if err != nil {
		t.Fatal(err)
	}
	tz, err := h.AddQuestion(ctx, form.ID, hr.QuestionInput{Title: "Your timezone", Choices: "EU\nUS\nAU", Position: 1})
	if err != nil {
		t.Fatal(err)
	}
	app, err := h.Apply(ctx, form.ID, f.suAccount, map[int64]string{why.ID: "Good fights.", tz.ID: "EU"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddComment(ctx, app, f.suAccount, "Audit recruiter", "Knows the area."); err != nil {
		t.Fatal(err)
	}
	return form.ID, app
}

func setUpFat(ctx context.Context, t *testing.T, site *sitetest.Site, su int32) fat.Link {
	t.Helper()
	l, err := fat.NewFAT(fat.Deps{DB: site.DB}).CreateLink(ctx, fat.LinkInput{Fleet: "Home defense", Duration: "60"}, 0, "Audit FC")
	if err != nil {
		t.Fatal(err)
	}
	c, err := site.Accounts().Character(ctx, su)
	if err != nil {
		t.Fatal(err)
	}
	err = site.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO fat_records (link_id, character_id, character_name, corporation_id, month, system_id,
			system_name, ship_type_id, ship_type_name, location_id, location_name, source, recorded_at)
			VALUES ($1, $2, $3, $4, $5, 30000142, 'Jita', 587, 'Rifter', NULL, '', 'link', $6)`,
			l.ID, su, c.Name, c.CorporationID, int(l.Month), time.Now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fat_monthly (month, corporation_id, character_id, character_name, fats) VALUES ($1, $2, $3, $4, 1)`,
			int(l.Month), c.CorporationID, su, c.Name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO fat_corp_monthly (month, corporation_id, fats, characters) VALUES ($1, $2, 1, 1)`, int(l.Month), c.CorporationID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// setUpTimers adds an important corporation timer due in a day, a past
// one, and a fleet operation, so that the lists show rows and badges.
func setUpTimers(ctx context.Context, t *testing.T, site *sitetest.Site, f *auditFixtures) (timer, operation int64) {
	t.Helper()
	now := time.Now()
	err := site.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important,
			owner, details, creator_id, creator_name, created_at, updated_at) VALUES ('M-OEE8', '', 'astrahus', 'final', 'friendly',
			$1, false, 'Audited corporation', '', $2, 'audit', $1, $1)`, now.Add(-2*time.Hour), f.suAccount); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important,
			owner, details, corporation_id, creator_id, creator_name, created_at, updated_at) VALUES ('1DQ1-A', 'I - Moon 1', 'keepstar',
			'armor', 'hostile', $1, true, 'Hostiles', 'Bring dreadnoughts', 98000001, $2, 'audit', $3, $3) RETURNING id`,
			now.Add(24*time.Hour), f.suAccount, now).Scan(&timer); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO fleet_operations (name, doctrine, system, start_at, duration, fc, op_type, description,
			creator_id, creator_name, created_at, updated_at) VALUES ('Home defence', 'Muninn', '1DQ1-A', $1, '2h', 'Audited FC',
			'Stratop', 'Comms on Mumble', $2, 'audit', $3, $3) RETURNING id`, now.Add(3*time.Hour), f.suAccount, now).Scan(&operation)
	})
	if err != nil {
		t.Fatal(err)
	}
	return timer, operation
}

// setUpSRP opens an SRP fleet with a pending request of the superuser's
// Raven, so that the fleet's page shows the officer's forms.
func setUpSRP(ctx context.Context, t *testing.T, site *sitetest.Site, f *auditFixtures) int64 {
	t.Helper()
	fl, err := srp.NewSRP(srp.Deps{DB: site.DB}).CreateFleet(ctx, &web.Viewer{AccountID: f.suAccount},
		srp.FleetInput{Name: "Audited stratop", Doctrine: "Ravens", Commander: "Audit FC", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.DB.Exec(ctx, `INSERT INTO srp_requests (fleet_id, account_id, killmail_id, killmail_hash, character_id,
		character_name, ship_type_id, ship_name, loss_value, additional, status, payout, comment, decided_by, created_at)
		VALUES ($1, $2, 123456789, $3, $4, 'Audited pilot', 638, 'Raven', 181200000, 'Lost on the gate', 'pending', 0, '', '', $5)`,
		fl.ID, f.suAccount, strings.Repeat("ab", 20), f.su, time.Now()); err != nil {
		t.Fatal(err)
	}
	return fl.ID
}
