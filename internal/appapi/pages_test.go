package appapi_test

import (
	"bytes"
	"context"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// pagesEnv is a running site with an apps store of the test's own over its
// database, to read back what the pages saved.
type pagesEnv struct {
	t     *testing.T
	ctx   context.Context
	site  *sitetest.Site
	apps  *appapi.Store
	log   *sitetest.LogBuffer
	used  []int32
	group *groups.Store
}

// eachPagesSite runs a scenario on a site of each engine, in parallel.
func eachPagesSite(t *testing.T, fn func(t *testing.T, e *pagesEnv)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			log := &sitetest.LogBuffer{}
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: log})
			fn(t, &pagesEnv{t: t, ctx: context.Background(), site: site, apps: appapi.NewStore(site.DB, site.Config.SecretKey, nil), log: log,
				group: groups.New(site.DB, groups.Options{Queue: site.Queue()})})
		})
	}
}

// pageVisitor is a logged-in member.
type pageVisitor struct {
	b       *sitetest.Browser
	account int64
	name    string // the character logged in with, the account's main
}

// visitor logs in a new member: a superuser for "superuser", else holding
// the roles given.
func (e *pagesEnv) visitor(roles ...string) pageVisitor {
	t := e.t
	t.Helper()
	c := e.site.AccountCharacters(t, 1, e.used...)[0]
	e.used = append(e.used, c)
	v := pageVisitor{b: e.site.NewBrowser(t)}
	v.b.LogIn(t, c)
	accs := e.site.Accounts()
	ch, err := accs.Character(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.account, v.name = ch.AccountID, ch.Name
	switch {
	case slices.Equal(roles, []string{"superuser"}):
		_, _, err = accs.GrantSuperuser(e.ctx, strconv.Itoa(int(c)))
	case len(roles) > 0:
		err = accs.SetRoles(e.ctx, v.account, roles, false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do gets path (posts form when it is not nil) and checks the status and
// texts of the page it ends on.
func (v pageVisitor) do(t *testing.T, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	return v.b.Expect(t, v.name, path, form, status, texts...)
}

func (e *pagesEnv) app(id int64) appapi.App {
	e.t.Helper()
	a, err := e.apps.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *pagesEnv) appCount() int {
	e.t.Helper()
	list, err := e.apps.List(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list)
}

// roles gives an account's roles as stored.
func (e *pagesEnv) roles(account int64) []string {
	e.t.Helper()
	rs, err := access.RolesOf(e.ctx, e.site.DB, account)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *pagesEnv) newGroup(name string) groups.Group {
	e.t.Helper()
	g, err := e.group.Create(e.ctx, groups.Input{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

var (
	createdPath = regexp.MustCompile(`/admin/apps/(\d+)$`)
	secretRe    = regexp.MustCompile(`id="secret">([0-9a-f]{64})<`)
	headerRe    = regexp.MustCompile(`id="authorization">Authorization: (Bearer [A-Za-z0-9+/=]+)<`)
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestAppFormOffersOnlyOfferedLogins: the app form lists the EVE logins
// offered (the built-in ones, each used by a built feature: member tracking
// core.tracking, EVE mail core.mail), refuses a login that does not exist
// ticked by hand, with nothing saved, and saves those ticked.
func TestAppFormOffersOnlyOfferedLogins(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			e := &pagesEnv{t: t, ctx: context.Background(), site: site, apps: appapi.NewStore(site.DB, site.Config.SecretKey, nil)}
			admin := e.visitor(access.RoleAppAdmin)
			a, err := e.apps.Create(e.ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp}})
			if err != nil {
				t.Fatal(err)
			}
			path := "/admin/apps/" + itoa(a.ID)
			box := func(login string) string { return `id="login-` + login + `"` }
			admin.do(t, path, nil, 200, box(logins.Default), box(logins.NoScopes), box(logins.Tracking), box(logins.Mail))
			form := url.Values{"name": {"Killboard"}, "roles": {appapi.RoleApp}, "eve_logins": {logins.Default, "core.statistics"}}
			admin.do(t, path, form, 422, "There is no EVE login &#34;core.statistics&#34;")
			if got := e.app(a.ID).EveLogins; len(got) != 0 {
				t.Errorf("the refused form gave the app %v", got)
			}
			form["eve_logins"] = []string{logins.Default, logins.Tracking, logins.Mail}
			admin.do(t, path, form, 200, "The app Killboard was saved.")
			want := []string{logins.Default, logins.Mail, logins.Tracking}
			if got := e.app(a.ID).EveLogins; !slices.Equal(got, want) {
				t.Errorf("saved %v, want %v", got, want)
			}
			admin.do(t, path, nil, 200, `value="core.mail" `+box(logins.Mail)+` checked`)
		})
	}
}

// TestAppAdministration: an app admin creates an app, sets every option,
// is refused every bad input with the reason and nothing written, manages
// the managers (who get and lose the app-manager role with it), sees the
// app's requests and deletes it once confirmed. Members and anonymous
// visitors cannot reach the pages; superusers can.
func TestAppAdministration(t *testing.T) {
	eachPagesSite(t, func(t *testing.T, e *pagesEnv) {
		admin := e.visitor(access.RoleAppAdmin)
		member := e.visitor()
		su := e.visitor("superuser")
		alice, bob, carol := e.visitor(), e.visitor(), e.visitor()
		scouts, fleet := e.newGroup("Scouts"), e.newGroup("Fleet")

		// Who may come in.
		anon := e.site.NewBrowser(t)
		if p := anon.Get(t, "/admin/apps"); p.Status != 200 || !strings.Contains(p.URL, "next=") {
			t.Errorf("anonymous: %d at %s, want the login page", p.Status, p.URL)
		}
		for _, path := range []string{"/admin/apps", "/admin/apps/1"} {
			member.do(t, path, nil, 403)
			group := e.visitor(access.RoleGroupAdmin)
			group.do(t, path, nil, 403)
		}
		member.do(t, "/admin/apps", url.Values{"name": {"Sneaky"}}, 403)
		member.do(t, "/admin/apps/1/delete", url.Values{"confirm": {"yes"}}, 403)
		if dash := member.do(t, "/dashboard", nil, 200); strings.Contains(dash, `href="/admin/apps"`) {
			t.Error("the menu offers the apps administration to a member")
		}
		su.do(t, "/admin/apps", nil, 200, "There is no app yet.")
		admin.do(t, "/dashboard", nil, 200, `href="/admin/apps"`)

		// Creating: the name is checked.
		for name, want := range map[string]string{
			"":                       "Give the app a name.",
			"   ":                    "Give the app a name.",
			strings.Repeat("é", 256): "at most 255 characters",
			"Kill\tboard":            "may not hold control characters",
		} {
			body := admin.do(t, "/admin/apps", url.Values{"name": {name}}, 422, html.EscapeString(want))
			if !strings.Contains(body, `aria-describedby="name-help name-error" aria-invalid="true" autofocus>`) ||
				!strings.Contains(body, `class="form-control is-invalid" id="name"`) {
				t.Errorf("name %q: the field is not marked invalid, described by its problem and focused", name)
			}
		}
		if n := e.appCount(); n != 0 {
			t.Fatalf("%d apps after refused creations", n)
		}
		p := admin.b.Post(t, "/admin/apps", url.Values{"name": {" " + strings.Repeat("é", 255) + " "}})
		if p.Status != 200 {
			t.Fatalf("255 characters: %d", p.Status)
		}
		p = admin.b.Post(t, "/admin/apps", url.Values{"name": {"Killboard"}})
		m := createdPath.FindStringSubmatch(p.URL)
		if p.Status != 200 || m == nil || !strings.Contains(p.Body, "The app Killboard was created.") {
			t.Fatalf("create: %d at %s", p.Status, p.URL)
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		a := e.app(id)
		if a.Name != "Killboard" || !slices.Equal(a.Roles, []string{appapi.RoleApp}) || a.HasSecret || len(a.Managers) != 0 {
			t.Fatalf("created: %+v", a)
		}
		path := "/admin/apps/" + itoa(id)
		admin.do(t, path, nil, 200, "no secret yet", "No request in these days.", `value="app" id="role-app" checked`)

		// Every option at once.
		full := url.Values{
			"name":       {"Killboard 2"},
			"roles":      appapi.Roles,
			"groups":     {itoa(scouts.ID), itoa(fleet.ID)},
			"eve_logins": {"core.default", "core.no-scopes"},
			"managers":   {alice.name + "\n#" + itoa(bob.account) + ", " + alice.name},
		}
		admin.do(t, path, full, 200, "The app Killboard 2 was saved.", html.EscapeString(alice.name), "#"+itoa(bob.account))
		a = e.app(id)
		if a.Name != "Killboard 2" || !slices.Equal(a.Roles, slices.Sorted(slices.Values(appapi.Roles))) ||
			!slices.Equal(a.Groups, slices.Sorted(slices.Values([]int64{scouts.ID, fleet.ID}))) ||
			!slices.Equal(a.EveLogins, []string{"core.default", "core.no-scopes"}) ||
			!slices.Equal(a.Managers, slices.Sorted(slices.Values([]int64{alice.account, bob.account}))) {
			t.Fatalf("saved: %+v", a)
		}
		for _, v := range []pageVisitor{alice, bob} {
			if !slices.Contains(e.roles(v.account), access.RoleAppManager) {
				t.Errorf("manager %s lacks the role %s: %v", v.name, access.RoleAppManager, e.roles(v.account))
			}
		}
		// A manager typed by character id is found too.
		carolChar, err := e.site.Accounts().CharacterByName(e.ctx, carol.name)
		if err != nil {
			t.Fatal(err)
		}

		// Every bad input: 422, the reason by its field, nothing written.
		version := e.app(id).Version
		bad := func(field string, values []string, want ...string) {
			t.Helper()
			f := url.Values{}
			for k, v := range full {
				f[k] = v
			}
			f[field] = values
			body := admin.do(t, path, f, 422, append([]string{"Nothing was saved"}, want...)...)
			if !strings.Contains(body, "is-invalid") {
				t.Errorf("%s %v: no field is marked invalid", field, values)
			}
			if got := e.app(id); got.Version != version {
				t.Errorf("%s %v: the refused form changed the app: %+v", field, values, got)
			}
		}
		bad("name", []string{""}, "Give the app a name.")
		bad("name", []string{strings.Repeat("x", 256)}, "at most 255 characters")
		bad("name", []string{"a\nb"}, "may not hold control characters")
		bad("roles", []string{"app", "user-admin"}, "&#34;user-admin&#34; is not a role of apps.")
		bad("groups", []string{itoa(scouts.ID), "999999"}, "There is no group 999999")
		bad("groups", []string{"abc"}, "There is no group abc")
		bad("eve_logins", []string{"core.nope"}, "There is no EVE login &#34;core.nope&#34;")
		bad("managers", []string{"No Such Pilot"}, "&#34;No Such Pilot&#34; is no character Keepstar knows")
		bad("managers", []string{"#999999"}, "&#34;#999999&#34; is no character")
		bad("managers", []string{"#abc"}, "&#34;#abc&#34; is no character")
		// Every problem at once.
		body := admin.do(t, path, url.Values{"name": {""}, "roles": {"nope"}, "groups": {"0"}, "eve_logins": {"x"},
			"managers": {"Nobody At All"}}, 422, "Give the app a name.", "&#34;nope&#34; is not a role", "There is no group 0",
			"There is no EVE login &#34;x&#34;", "&#34;Nobody At All&#34; is no character")
		if strings.Count(body, "invalid-feedback d-block") < 5 {
			t.Errorf("not every field shows its problem:\n%s", body)
		}
		// Each field described by its problem, the first focused, the
		// summary in the form's order.
		for _, want := range []string{
			`id="name" name="name" value="" maxlength="255" required aria-describedby="name-error" aria-invalid="true" autofocus>`,
			`<fieldset class="mb-3" id="roles" aria-describedby="roles-help roles-error">`,
			`<fieldset class="mb-3" id="groups" aria-describedby="groups-help groups-error">`,
			`<fieldset class="mb-3" id="eve-logins" aria-describedby="eve-logins-help eve_logins-error">`,
			`aria-describedby="managers-help managers-error" aria-invalid="true">`,
			`id="managers-error">&#34;Nobody At All&#34; is no character`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("no %s in\n%s", want, body)
			}
		}
		if n := strings.Count(body, " autofocus"); n != 1 {
			t.Errorf("%d fields focused", n)
		}
		if i, j := strings.Index(body, "<li>Give the app a name."), strings.Index(body, "<li>&#34;Nobody At All&#34;"); i < 0 || j < i {
			t.Errorf("the summary is not in the form's order:\n%s", body)
		}
		// Without a problem of the name, the first field with one is
		// focused: a list of checkboxes, its first box.
		body = admin.do(t, path, url.Values{"name": {"Killboard 2"}, "roles": {"app"}, "groups": {"0"}, "managers": {"Nobody At All"}}, 422)
		box := strings.Index(body, `name="groups"`)
		if n := strings.Count(body, " autofocus"); n != 1 || box < 0 || !strings.Contains(body[box:box+strings.Index(body[box:], ">")], " autofocus") {
			t.Errorf("not the first group's box alone focused:\n%s", body)
		}

		// The role app-manager requires a group carol is not in: she
		// cannot be made a manager; the managers already there stay.
		if _, err := e.site.DB.Exec(e.ctx, `INSERT INTO role_requirements (role, group_id) VALUES ($1, $2)`,
			access.RoleAppManager, scouts.ID); err != nil {
			t.Fatal(err)
		}
		bad("managers", []string{alice.name + "\n" + strconv.Itoa(int(carolChar.ID))},
			html.EscapeString(strconv.Itoa(int(carolChar.ID))+" may not have the role app-manager"))
		if _, err := e.site.DB.Exec(e.ctx, `DELETE FROM role_requirements`); err != nil {
			t.Fatal(err)
		}

		// Managers change: carol (by character id) comes, bob goes and
		// loses the role; alice keeps it.
		f := url.Values{"name": {"Killboard 2"}, "roles": {"app"}, "managers": {alice.name + "\n" + strconv.Itoa(int(carolChar.ID))}}
		admin.do(t, path, f, 200, "The app Killboard 2 was saved.")
		a = e.app(id)
		if !slices.Equal(a.Managers, slices.Sorted(slices.Values([]int64{alice.account, carol.account}))) ||
			len(a.Groups) != 0 || len(a.EveLogins) != 0 {
			t.Fatalf("managers changed: %+v", a)
		}
		if slices.Contains(e.roles(bob.account), access.RoleAppManager) || !slices.Contains(e.roles(carol.account), access.RoleAppManager) ||
			!slices.Contains(e.roles(alice.account), access.RoleAppManager) {
			t.Errorf("roles after the change: bob %v, carol %v, alice %v", e.roles(bob.account), e.roles(carol.account), e.roles(alice.account))
		}
		// The form shows the managers as they are stored.
		admin.do(t, path, nil, 200, html.EscapeString(alice.name)+"\n"+html.EscapeString(carol.name)+"</textarea>")

		// The list shows the app.
		admin.do(t, "/admin/apps", nil, 200, `id="app-`+itoa(id)+`"`, "Killboard 2", html.EscapeString(carol.name), `data-secret="no"`)

		// Requests of the last days: older ones are not counted.
		now := time.Now().UTC().Truncate(time.Hour)
		for _, row := range []struct {
			hour time.Time
			n    int
		}{{now, 40}, {now.Add(-time.Hour), 2}, {now.AddDate(0, 0, -2), 7}, {now.AddDate(0, 0, -30), 1000}} {
			if _, err := e.site.DB.Exec(e.ctx, `INSERT INTO app_requests (app_id, hour, requests) VALUES ($1, $2, $3)`,
				id, row.hour, row.n); err != nil {
				t.Fatal(err)
			}
		}
		body = admin.do(t, path, nil, 200, "49 requests in all", `data-day="`+now.Format(time.DateOnly)+`"`,
			`data-hour="`+now.Format("15:04")+`"`, `data-day="`+now.AddDate(0, 0, -2).Format(time.DateOnly)+`"`)
		if strings.Contains(body, `data-day="`+now.AddDate(0, 0, -30).Format(time.DateOnly)+`"`) {
			t.Error("requests of 30 days ago are shown")
		}

		// Unknown apps.
		admin.do(t, "/admin/apps/999999", nil, 404, "There is no such app.")
		admin.do(t, "/admin/apps/abc", nil, 404)
		admin.do(t, "/admin/apps/999999", url.Values{"name": {"X"}}, 404)
		admin.do(t, "/admin/apps/999999/delete", url.Values{"confirm": {"yes"}}, 404)

		// Deleting asks first, saying what follows; unconfirmed, nothing
		// is deleted.
		admin.do(t, path, nil, 200, `href="`+path+`/delete" id="delete-app"`)
		admin.do(t, path+"/delete", nil, 200, "Delete the app Killboard 2?", "It made 49 requests in the last 7 days.")
		admin.do(t, path+"/delete", url.Values{}, 400, "Nothing was changed", "It made 49 requests in the last 7 days.")
		admin.do(t, path+"/delete", url.Values{"confirm": {"on"}}, 400, "Nothing was changed")
		member.do(t, path+"/delete", nil, 403)
		if e.appCount() != 2 {
			t.Fatal("an unconfirmed deletion deleted")
		}
		p = admin.b.Post(t, path+"/delete", url.Values{"confirm": {"yes"}})
		if p.Status != 200 || !strings.HasSuffix(p.URL, "/admin/apps") || !strings.Contains(p.Body, "The app Killboard 2 was deleted.") {
			t.Fatalf("delete: %d at %s", p.Status, p.URL)
		}
		if e.appCount() != 1 {
			t.Error("the app is still there")
		}
		for _, v := range []pageVisitor{alice, carol} {
			if slices.Contains(e.roles(v.account), access.RoleAppManager) {
				t.Errorf("%s manages no app any more but keeps the role", v.name)
			}
		}
		var n int
		if err := e.site.DB.QueryRow(e.ctx, `SELECT count(*) FROM app_requests WHERE app_id = $1`, id).Scan(&n); err != nil || n != 0 {
			t.Errorf("requests of the deleted app: %d %v", n, err)
		}
	})
}

// TestManagerMakesSecret: a manager sees their apps read-only and makes a
// secret, shown once in the answer (never in a redirect, the session or
// the log), which then authenticates the app over real HTTP; a new secret
// needs the box ticked and ends the old one at once. Members who manage
// nothing, managers of other apps and superusers cannot make one.
func TestManagerMakesSecret(t *testing.T) {
	eachPagesSite(t, func(t *testing.T, e *pagesEnv) {
		manager, other, member, su := e.visitor(), e.visitor(), e.visitor(), e.visitor("superuser")
		scouts := e.newGroup("Scouts")
		a, err := e.apps.Create(e.ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp, appapi.RoleGroups},
			Groups: []int64{scouts.ID}, EveLogins: []string{"core.default"}, Managers: []int64{manager.account}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.apps.Create(e.ctx, appapi.Input{Name: "Timers", Managers: []int64{other.account}})
		if err != nil {
			t.Fatal(err)
		}
		secretPath := "/apps/" + itoa(a.ID) + "/secret"

		// Who may come in.
		manager.do(t, "/dashboard", nil, 200, `href="/apps"`)
		for _, v := range []pageVisitor{member, su} {
			if dash := v.do(t, "/dashboard", nil, 200); strings.Contains(dash, `href="/apps"`) {
				t.Errorf("the menu offers My apps to %s, who manages nothing", v.name)
			}
			v.do(t, "/apps", nil, 403)
			v.do(t, secretPath, url.Values{}, 403)
		}
		if p := e.site.NewBrowser(t).Get(t, "/apps"); !strings.Contains(p.URL, "next=") {
			t.Errorf("anonymous: %d at %s, want the login page", p.Status, p.URL)
		}
		// A manager of another app: the page shows only theirs, and this
		// app's secret is not theirs to make; the refusal is the answer
		// for an app that does not exist, which names nothing.
		body := other.do(t, "/apps", nil, 200, "Timers")
		if strings.Contains(body, "Killboard") {
			t.Error("a manager sees an app they do not manage")
		}
		refused := other.do(t, secretPath, url.Values{}, 404)
		if strings.Contains(refused, "Killboard") {
			t.Error("the refusal names the app a manager does not manage")
		}
		if e.app(a.ID).HasSecret {
			t.Fatal("a refused request made a secret")
		}
		// The role follows the managers alone: a superuser neither takes it
		// from a manager nor gives it to a member on the account page.
		su.do(t, "/admin/accounts/"+itoa(manager.account)+"/roles", url.Values{"role": {access.RoleGroupAdmin}}, 200)
		su.do(t, "/admin/accounts/"+itoa(member.account)+"/roles", url.Values{"role": {access.RoleAppManager}}, 200,
			`data-followed="app-manager"`)
		if got := e.roles(manager.account); !slices.Equal(got, []string{access.RoleAppManager, access.RoleGroupAdmin}) {
			t.Errorf("the manager's roles after a superuser saved them: %v", got)
		}
		if got := e.roles(member.account); len(got) != 0 {
			t.Errorf("a member given app-manager by hand: %v", got)
		}
		manager.do(t, "/apps/999999/secret", url.Values{}, 404)
		manager.do(t, "/apps/abc/secret", url.Values{}, 404)

		// The manager's page: roles, groups, logins, read-only.
		body = manager.do(t, "/apps", nil, 200, "Killboard", `data-role="app-groups"`, "Scouts", "core.default",
			"no secret yet", "Generate new secret")
		if strings.Contains(body, "Timers") || strings.Contains(body, `name="roles"`) {
			t.Error("the manager's page shows another app or a form of the app's settings")
		}
		if strings.Contains(body, `name="confirm"`) {
			t.Error("a first secret asks to confirm replacing one")
		}

		// The first secret.
		p := manager.b.Post(t, secretPath, url.Values{})
		secret1, header1 := secretOf(t, p.Body)
		if p.Status != 200 || len(p.Visited) != 1 || p.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("secret: %d, visited %v, Cache-Control %q", p.Status, p.Visited, p.Header.Get("Cache-Control"))
		}
		if header1 != bearer(a.ID, secret1) || strings.Contains(p.Body, "The old secret stopped working") ||
			!strings.Contains(p.Body, "/api/app/v1/show") {
			t.Errorf("secret page: header %q", header1)
		}
		res, showBody := show(t, e.site.URL, header1)
		if res.StatusCode != 200 || !strings.Contains(showBody, `"name":"Killboard"`) {
			t.Fatalf("show with the new secret: %s %s", res.Status, showBody)
		}
		manager.do(t, "/apps", nil, 200, `data-secret="yes"`, `name="confirm"`)

		// Another one needs the box ticked; without, nothing changes.
		manager.do(t, secretPath, url.Values{}, 422, "Tick the box first")
		if res, _ := show(t, e.site.URL, header1); res.StatusCode != 200 {
			t.Fatalf("an unconfirmed request replaced the secret: %s", res.Status)
		}
		p = manager.b.Post(t, secretPath, url.Values{"confirm": {"yes"}})
		secret2, header2 := secretOf(t, p.Body)
		if p.Status != 200 || secret2 == secret1 || !strings.Contains(p.Body, "The old secret stopped working") {
			t.Fatalf("second secret: %d", p.Status)
		}
		if res, _ := show(t, e.site.URL, header1); res.StatusCode != 401 {
			t.Errorf("the old secret after a new one: %s", res.Status)
		}
		if res, _ := show(t, e.site.URL, header2); res.StatusCode != 200 {
			t.Errorf("the new secret: %s", res.Status)
		}
		// The other app is untouched.
		if e.app(b.ID).HasSecret {
			t.Error("the other app got a secret")
		}

		// The secrets are nowhere but in the answers: not in the sessions
		// (flashes), not in the log, which did record the requests.
		var sessions [][]byte
		rows, err := e.site.DB.Query(e.ctx, `SELECT data FROM sessions`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var d []byte
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, d)
		}
		rows.Close()
		all := bytes.Join(sessions, nil)
		if !bytes.Contains(all, []byte(`"c":`)) { // a logged-in session's character (sessions.Data)
			t.Fatal("the sessions hold no login: the search below would prove nothing")
		}
		log := e.log.String()
		if !strings.Contains(log, secretPath) {
			t.Fatalf("the log lacks the requests: the search below would prove nothing\n%s", log)
		}
		for _, s := range []string{secret1, secret2, header1, header2} {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("a session holds a secret")
			}
			if strings.Contains(log, s) {
				t.Errorf("the log holds a secret")
			}
		}
	})
}

// secretOf reads the secret and the header value off the secret page.
func secretOf(t *testing.T, body string) (secret, header string) {
	t.Helper()
	m, h := secretRe.FindStringSubmatch(body), headerRe.FindStringSubmatch(body)
	if m == nil || h == nil {
		t.Fatalf("no secret or header on the page:\n%s", body)
	}
	return m[1], h[1]
}

// TestManagerRoleFollowsMerges: when two accounts merge, the apps the
// loser managed go to the winner, with the role.
func TestManagerRoleFollowsMerges(t *testing.T) {
	eachPagesSite(t, func(t *testing.T, e *pagesEnv) {
		chars := e.site.AccountCharacters(t, 2)
		older, newer := e.site.NewBrowser(t), e.site.NewBrowser(t)
		older.LogIn(t, chars[0])
		newer.LogIn(t, chars[1])
		accountOf := func(c int32) int64 {
			ch, err := e.site.Accounts().Character(e.ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			return ch.AccountID
		}
		winner, loser := accountOf(chars[0]), accountOf(chars[1])
		if winner >= loser {
			t.Fatalf("accounts %d and %d: want the first older", winner, loser)
		}
		a, err := e.apps.Create(e.ctx, appapi.Input{Name: "Killboard", Managers: []int64{loser}})
		if err != nil {
			t.Fatal(err)
		}
		if res := older.Get(t, "/apps"); res.Status != 403 {
			t.Fatalf("/apps before the merge: %d", res.Status)
		}
		older.AddCharacter(t, chars[1]) // same EVE owner: the accounts merge
		if got := e.app(a.ID).Managers; !slices.Equal(got, []int64{winner}) {
			t.Errorf("managers after the merge: %v, want [%d]", got, winner)
		}
		if !slices.Contains(e.roles(winner), access.RoleAppManager) || slices.Contains(e.roles(loser), access.RoleAppManager) {
			t.Errorf("roles after the merge: winner %v, loser %v", e.roles(winner), e.roles(loser))
		}
		if body := older.Get(t, "/apps").Body; !strings.Contains(body, "Killboard") {
			t.Error("the merged account does not see its app")
		}
	})
}

func TestAppRoleMessagesExist(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range appapi.Roles {
		if id := "appapi.role." + r; !c.Has(id) {
			t.Errorf("message %s is not in en.toml", id)
		}
	}
}
