package apidocs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// webRouter finds the operations of the web UI's document on a site.
func webRouter(t *testing.T, site *sitetest.Site) routers.Router {
	t.Helper()
	doc := loadSpec(t, "keepstar-web.yml")
	doc.Servers = openapi3.Servers{{URL: site.URL + "/api"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// callWeb makes a request as a browser, checks its status, and validates
// the request and the answer (status, content type, body) against the web
// UI's document. It gives the decoded body.
func callWeb(t *testing.T, router routers.Router, b *sitetest.Browser, site *sitetest.Site, path string, want int) any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, site.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(sitetest.Body(t, res))
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", path, res.StatusCode, body, want)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("GET %s: not in the document: %v", path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("GET %s: the request does not fit the document: %v", path, err)
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("GET %s: the answer %d does not fit the document: %v\n%s", path, res.StatusCode, err, body)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return v
}

// TestWebDocumentDescribesTheAnswers: the JSON endpoints of the web UI
// answer as keepstar-web.yml says, whatever they answer: a member's
// account and notifications, an account for a user admin (with removals),
// and the refusals of a visitor who is not logged in, of a member without
// the role, and of an unknown account. The document forbids properties it
// does not name, so a field added to the Go types fails here until it is
// documented.
func TestWebDocumentDescribesTheAnswers(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			router := webRouter(t, site)

			chars := site.AccountCharacters(t, 2)
			member := site.NewBrowser(t)
			member.LogIn(t, chars[0])
			member.AddCharacter(t, chars[1])
			adminChar := site.AccountCharacters(t, 1, chars...)[0]
			admin := site.NewBrowser(t)
			admin.LogIn(t, adminChar)
			accs := site.Accounts()
			memberChar, err := accs.Character(ctx, chars[0])
			if err != nil {
				t.Fatal(err)
			}
			adminAcc, err := accs.Character(ctx, adminChar)
			if err != nil {
				t.Fatal(err)
			}
			if err := accs.SetRoles(ctx, adminAcc.AccountID, []string{access.RoleUserAdmin}, false); err != nil {
				t.Fatal(err)
			}
			// A removal: the admin deletes the member's alt.
			if p := admin.Post(t, fmt.Sprintf("/admin/accounts/%d/characters/%d/delete", memberChar.AccountID, chars[1]), url.Values{"confirm": {"yes"}}); p.Status != http.StatusOK {
				t.Fatalf("the admin's deletion: %d", p.Status)
			}
			st := notifications.NewStore(site.DB, settings.NewStore(site.DB, settings.NewRegistry(notifications.Settings), nil, 0), nil)
			for _, n := range []notifications.Notice{
				{Level: notifications.Info, Title: "Fleet at 19:00", Message: "Form up in Jita."},
				{Level: notifications.Warning, TitleKey: "notifications.title", Args: map[string]string{"Name": "x"}},
			} {
				if err := st.Send(ctx, site.DB, memberChar.AccountID, n); err != nil {
					t.Fatal(err)
				}
			}

			me := callWeb(t, router, member, site, "/api/me", http.StatusOK).(map[string]any)
			if me["id"] != float64(memberChar.AccountID) || len(me["characters"].([]any)) != 1 {
				t.Errorf("/api/me: %v", me)
			}
			if list := callWeb(t, router, member, site, "/api/me/notifications", http.StatusOK).([]any); len(list) != 3 {
				t.Errorf("/api/me/notifications: %v, want the two sent and the removal's", list)
			}
			account := callWeb(t, router, admin, site, fmt.Sprintf("/api/admin/accounts/%d", memberChar.AccountID), http.StatusOK).(map[string]any)
			if removals := account["removals"].([]any); len(removals) != 1 || removals[0].(map[string]any)["removedBy"] != float64(adminAcc.AccountID) {
				t.Errorf("the admin's view of the account: %v", account)
			}

			anonymous := site.NewBrowser(t)
			for _, path := range []string{"/api/me", "/api/me/notifications", fmt.Sprintf("/api/admin/accounts/%d", memberChar.AccountID)} {
				if e := callWeb(t, router, anonymous, site, path, http.StatusUnauthorized).(map[string]any); !strings.Contains(e["error"].(string), "log") {
					t.Errorf("%s without a session: %v", path, e)
				}
			}
			callWeb(t, router, member, site, fmt.Sprintf("/api/admin/accounts/%d", memberChar.AccountID), http.StatusForbidden)
			callWeb(t, router, admin, site, "/api/admin/accounts/987654", http.StatusNotFound)
		})
	}
}
