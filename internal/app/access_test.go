package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Who a request is made as.
const (
	anonymous = iota
	member
	userAdmin
	settingsAdmin
	groupAdmin
	superuser
	visitors
)

var visitorNames = [visitors]string{"anonymous", "member", "user admin", "settings admin", "group admin", "superuser"}

// Outcomes: the final status after following redirects, or login: a
// visitor who is not logged in is sent to the login page (GET) or told to
// log in (401).
const login = -1

// check is one request of the matrix.
type check struct {
	method, path string
	form         url.Values
	// want is the outcome per visitor.
	want [visitors]int
}

func all(status int) [visitors]int {
	return [visitors]int{status, status, status, status, status, status}
}

// members: any logged-in visitor gets status.
func members(status int) [visitors]int {
	return [visitors]int{login, status, status, status, status, status}
}

// TestEveryRouteAllowsAndRefusesAsItStates requests every route of the site
// as each kind of visitor and checks who gets through. A route the site
// mounts without a row here fails the test, so a new page cannot be added
// without saying who may use it and proving it.
func TestEveryRouteAllowsAndRefusesAsItStates(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			// Every visitor calls every API route without an app's secret,
			// from one address: more 401s than the failed authentications
			// allowed, which internal/appapi tests on their own.
			// The guide's example feature is plugged in as any feature
			// is: its route must have its row too.
			testAccessMatrix(t, sitetest.Start(t, sitetest.Options{Dialect: d,
				Env:          map[string]string{"KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES": "0"},
				Features:     []app.Constructor{example.New},
				ServiceTypes: append([]services.TypeConstructor{matrixServiceType}, matrixServiceTypes...)}), nil)
		})
	}
}

// testAccessMatrix runs the matrix on site. inspect, when set, is given
// every answer to the superuser and to the anonymous visitor, who then ask
// for the pseudo-language (TestNoTextOutsideTheCatalogue).
func testAccessMatrix(t *testing.T, site *sitetest.Site, inspect func(who int, c check, p sitetest.Page)) {
	ctx := context.Background()
	var browsers [visitors]*sitetest.Browser
	var ids [visitors]int32
	used := []int32{}
	for v := range visitors {
		browsers[v] = site.NewBrowser(t)
		if inspect != nil && (v == anonymous || v == superuser) {
			browsers[v].Header.Set("Accept-Language", i18n.PseudoTag)
		}
		if v == anonymous {
			continue
		}
		c := site.AccountCharacters(t, 1, used...)
		ids[v], used = c[0], append(used, c[0])
		browsers[v].LogIn(t, c[0])
	}
	accs := site.Accounts()
	accountOf := func(v int) int64 {
		c, err := accs.Character(ctx, ids[v])
		if err != nil {
			t.Fatal(err)
		}
		return c.AccountID
	}
	if err := accs.SetRoles(ctx, accountOf(userAdmin), []string{access.RoleUserAdmin}, false); err != nil {
		t.Fatal(err)
	}
	if err := accs.SetRoles(ctx, accountOf(settingsAdmin), []string{access.RoleSettings}, false); err != nil {
		t.Fatal(err)
	}
	if err := accs.SetRoles(ctx, accountOf(groupAdmin), []string{access.RoleGroupAdmin}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := accs.GrantSuperuser(ctx, strconv.Itoa(int(ids[superuser]))); err != nil {
		t.Fatal(err)
	}
	env := &matrixEnv{site: site, ids: ids, accounts: [visitors]int64{}}
	for v := member; v < visitors; v++ {
		env.accounts[v] = accountOf(v)
	}
	target := strconv.FormatInt(accountOf(member), 10) // the account admins act on
	mine := strconv.Itoa(int(ids[member]))

	admins := [visitors]int{login, 403, 200, 403, 403, 200}
	settingsAdmins := [visitors]int{login, 403, 403, 200, 403, 200}
	superusers := [visitors]int{login, 403, 403, 403, 403, 200}
	validSettings := url.Values{"site.name": {"Test site"}, "site.default_theme": {"light"}, "site.footer_text": {""},
		"site.home_text": {""}, "notifications.max_per_user": {"50"}, "notifications.refresh_seconds": {"30"}, "groups.deactivation_delay_hours": {"0"},
		"tokens.check_hours": {"6"}, "tokens.lost_access_days": {"7"}, "notifications.max_age_days": {"90"},
		"api.rate_limit_mode": {"off"}, "api.rate_limit_max_requests": {"600"}, "api.rate_limit_window_seconds": {"60"},
		"evemail.missing_days": {"10"}, "timers.notify_minutes": {"0"}, "fleetops.notify_minutes": {"0"}}
	matrix := map[string][]check{
		"GET /{$}":              {{"GET", "/", nil, all(200)}},
		"GET /healthz":          {{"GET", "/healthz", nil, all(200)}},
		"GET /readyz":           {{"GET", "/readyz", nil, all(200)}},
		"GET /metrics":          {{"GET", "/metrics", nil, all(200)}}, // direct from loopback; token and proxy cases in internal/web
		"GET /static/{file...}": {{"GET", "/static/keepstar.css", nil, all(200)}},
		"GET /site/logo":        {{"GET", "/site/logo", nil, all(404)}}, // none uploaded
		"/":                     {{"GET", "/no/such/page", nil, all(404)}},
		// The SSO flows: logged-out visitors may start a login; their
		// callbacks and refusals are tested in internal/signin.
		"GET /sso/login": {{"GET", "/sso/login", nil, all(200)}}, // the simulator's page, or the dashboard
		"GET /sso/login/{login}": {
			{"GET", "/sso/login/core.default", nil, all(200)},
			// Member tracking's tokens are for members; the mail token
			// (internal/apps/evemail) is the settings role's, as in Neucore.
			{"GET", "/sso/login/core.tracking", nil, members(200)},
			{"GET", "/sso/login/core.mail", nil, [visitors]int{login, 403, 403, 200, 403, 200}},
		},
		"GET /sso/callback":          {{"GET", "/sso/callback?state=x&code=y", nil, all(400)}},
		"GET /characters/add":        {{"GET", "/characters/add", nil, members(200)}},
		"POST /logout":               {{"POST", "/logout", nil, all(200)}}, // last: see below
		"GET /dashboard":             {{"GET", "/dashboard", nil, members(200)}},
		"GET /characters":            {{"GET", "/characters", nil, members(200)}},
		"POST /characters/{id}/main": {{"POST", "/characters/" + mine + "/main", nil, [visitors]int{login, 200, 404, 404, 404, 404}}},
		// Deletion is off by default: refused to everyone, for that reason.
		"POST /characters/{id}/delete":    {{"POST", "/characters/" + mine + "/delete", url.Values{"confirm": {"yes"}}, members(403)}},
		"GET /characters/{id}/delete":     {{"GET", "/characters/" + mine + "/delete", nil, members(403)}},
		"GET /tokens":                     {{"GET", "/tokens", nil, members(200)}},
		"GET /profile":                    {{"GET", "/profile", nil, members(200)}},
		"POST /profile":                   {{"POST", "/profile", url.Values{"language": {""}, "theme": {""}}, members(200)}},
		"GET /api/me":                     {{"GET", "/api/me", nil, members(200)}},
		"GET /notifications":              {{"GET", "/notifications", nil, members(200)}},
		"GET /notifications/unread":       {{"GET", "/notifications/unread", nil, members(200)}},
		"POST /notifications/{id}/read":   {{"POST", "/notifications/999999/read", nil, members(404)}},
		"POST /notifications/{id}/delete": {{"POST", "/notifications/999999/delete", nil, members(404)}},
		"POST /notifications/read-all":    {{"POST", "/notifications/read-all", nil, members(200)}},
		"POST /notifications/delete-read": {{"POST", "/notifications/delete-read", nil, members(200)}},
		"GET /api/me/notifications":       {{"GET", "/api/me/notifications", nil, members(200)}},
		"GET /admin/accounts": {
			{"GET", "/admin/accounts", nil, admins},
			{"GET", "/admin/accounts?q=" + url.QueryEscape("a"), nil, admins},
		},
		"GET /admin/accounts/{id}":         {{"GET", "/admin/accounts/" + target, nil, admins}},
		"GET /api/admin/accounts/{id}":     {{"GET", "/api/admin/accounts/" + target, nil, admins}},
		"POST /admin/accounts/{id}/active": {{"POST", "/admin/accounts/" + target + "/active", url.Values{"active": {"true"}}, admins}},
		"POST /admin/accounts/{id}/status": {{"POST", "/admin/accounts/" + target + "/status", url.Values{"status": {"standard"}}, admins}},
		"POST /admin/accounts/{id}/characters/{cid}/delete": {{"POST", "/admin/accounts/" + target + "/characters/1/delete", nil,
			[visitors]int{login, 403, 404, 403, 403, 404}}},
		"GET /admin/accounts/{id}/characters/{cid}/delete": {{"GET", "/admin/accounts/" + target + "/characters/1/delete", nil,
			[visitors]int{login, 403, 404, 403, 403, 404}}},
		// Not confirmed: the member stays active for the rows after.
		"GET /admin/accounts/{id}/deactivate":   {{"GET", "/admin/accounts/" + target + "/deactivate", nil, admins}},
		"POST /admin/accounts/{id}/deactivate":  {{"POST", "/admin/accounts/" + target + "/deactivate", url.Values{}, [visitors]int{login, 403, 400, 403, 403, 400}}},
		"POST /admin/accounts/{id}/roles":       {{"POST", "/admin/accounts/" + target + "/roles", url.Values{}, superusers}},
		"POST /admin/accounts/{id}/permissions": {{"POST", "/admin/accounts/" + target + "/permissions", url.Values{}, superusers}},
		"GET /admin/settings":                   {{"GET", "/admin/settings", nil, settingsAdmins}},
		"POST /admin/settings":                  {{"POST", "/admin/settings", validSettings, settingsAdmins}},
		"POST /admin/settings/image/{name}": {{"POST", "/admin/settings/image/site.logo", url.Values{},
			[visitors]int{login, 403, 403, 400, 403, 400}}},
		"POST /admin/settings/image/{name}/clear": {{"POST", "/admin/settings/image/site.logo/clear", nil, settingsAdmins}},
		"GET /admin/eve-logins":                   {{"GET", "/admin/eve-logins", nil, settingsAdmins}},
		"POST /admin/eve-logins": {{"POST", "/admin/eve-logins", url.Values{"name": {"core.mine"}},
			[visitors]int{login, 403, 403, 422, 403, 422}}},
		"GET /admin/eve-logins/{name}": {{"GET", "/admin/eve-logins/core.default", nil, settingsAdmins}},
		"POST /admin/eve-logins/{name}": {{"POST", "/admin/eve-logins/core.default",
			url.Values{"description": {"The account login."}, "scopes": {"publicData"}}, settingsAdmins}},
		"GET /admin/eve-logins/{name}/delete": {
			{"GET", "/admin/eve-logins/core.default/delete", nil, [visitors]int{login, 403, 403, 409, 403, 409}},
			{"GET", "/admin/eve-logins/no-such/delete", nil, [visitors]int{login, 403, 403, 404, 403, 404}},
		},
		"POST /admin/eve-logins/{name}/delete": {
			{"POST", "/admin/eve-logins/core.default/delete", url.Values{"confirm": {"yes"}}, [visitors]int{login, 403, 403, 409, 403, 409}},
			{"POST", "/admin/eve-logins/core.default/delete", nil, [visitors]int{login, 403, 403, 409, 403, 409}},
		},
	}

	// The rows of other features' routes, each in a file of its own.
	for _, rows := range rowsets {
		for pattern, checks := range rows(t, env) {
			if _, dup := matrix[pattern]; dup {
				t.Fatalf("route %s has rows in two places", pattern)
			}
			matrix[pattern] = checks
		}
	}
	for _, r := range site.Routes() {
		if _, ok := matrix[r.Pattern]; !ok {
			t.Errorf("route %s (%s) has no row in the access matrix", r.Pattern, r.Access)
		}
	}
	for pattern, checks := range matrix {
		if pattern == "POST /logout" || pattern == "POST /sessions/logout-all" {
			continue
		}
		for _, c := range checks {
			for v := range visitors {
				got, page := outcome(t, browsers[v], c, site)
				if inspect != nil && (v == anonymous || v == superuser) {
					inspect(v, c, page)
				}
				if got != c.want[v] {
					t.Errorf("%s %s as %s: %s, want %s", c.method, c.path, visitorNames[v], name(got), name(c.want[v]))
				}
			}
		}
	}
	// Every member can log out everywhere, every visitor can log out, and
	// is logged out after.
	for v := range visitors {
		want := matrix["POST /sessions/logout-all"][0]
		if got, _ := outcome(t, browsers[v], want, site); got != want.want[v] {
			t.Errorf("logout everywhere as %s: %s, want %s", visitorNames[v], name(got), name(want.want[v]))
		}
		if got, _ := outcome(t, browsers[v], matrix["POST /logout"][0], site); got != 200 {
			t.Errorf("logout as %s: %s", visitorNames[v], name(got))
		}
		if got, _ := outcome(t, browsers[v], check{"GET", "/api/me", nil, [visitors]int{}}, site); got != login {
			t.Errorf("%s still logged in after logout: %s", visitorNames[v], name(got))
		}
	}
}

// matrixEnv is what rows of the matrix may build their requests from: the
// site, and each visitor's character and account (the visitors are logged
// in with them; the member has no role, the admins theirs).
type matrixEnv struct {
	site     *sitetest.Site
	ids      [visitors]int32
	accounts [visitors]int64
}

// rowsets give the matrix rows of features' routes: each feature's test
// file adds its function in an init.
var rowsets []func(t *testing.T, e *matrixEnv) map[string][]check

// outcome makes a request as a browser and names where it ended; the page
// it ended on comes with it.
func outcome(t *testing.T, b *sitetest.Browser, c check, site *sitetest.Site) (int, sitetest.Page) {
	t.Helper()
	var p sitetest.Page
	if c.method == http.MethodPost {
		p = b.Post(t, c.path, c.form)
	} else {
		p = b.Get(t, c.path)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case p.Status == http.StatusUnauthorized:
		return login, p
	case p.Status == 200 && u.Path == "/" && u.Query().Get("next") != "" && strings.HasPrefix(p.URL, site.URL):
		return login, p
	}
	return p.Status, p
}

func name(outcome int) string {
	if outcome == login {
		return "sent to log in"
	}
	return strconv.Itoa(outcome)
}
