package appapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// request makes one request of url (an API path on a site or on another
// serve process) with an Authorization header (none when auth is empty),
// a body and headers (name, value pairs; an empty value sets nothing), and
// gives the answer with its body read.
func request(t testing.TB, method, url, auth, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, sitetest.Body(t, res)
}

// testKey is a secret key for stores of tests without a site.
var testKey = []byte("apps-test-secret-key-0123456789abcdef")

func bearer(id int64, secret string) string {
	return "Bearer " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", id, secret))
}

// TestShowAndAuthentication: an app proves itself with its secret; a wrong,
// missing or malformed one is refused with 401, a missing role with 403; a
// new secret replaces the old at once.
func TestShowAndAuthentication(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			gs := groups.New(site.DB, groups.Options{Queue: site.Queue()})
			seen, err := gs.Create(ctx, groups.Input{Name: "Scouts", Description: "Eyes", Open: true})
			if err != nil {
				t.Fatal(err)
			}
			st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			app, err := st.Create(ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp, appapi.RoleGroups},
				Groups: []int64{seen.ID}, EveLogins: []string{"core.default"}})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := st.NewSecret(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(secret) != 64 {
				t.Errorf("secret %q: want 64 hexadecimal characters", secret)
			}

			res, body := show(t, site.URL, bearer(app.ID, secret))
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("show: %s %s", res.Status, body)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf(`{"eveLogins":[{"description":%q,"esiScopes":"publicData","eveRoles":[],"id":1,"name":"core.default"}],`+
				`"groups":[{"autoAccept":true,"description":"Eyes","id":%d,"isAutoManaged":false,"isDefault":false,"name":"Scouts","visibility":"public"}],`+
				`"id":%d,"name":"Killboard","roles":["app","app-groups"]}`,
				"The account login: logging in and adding characters.", seen.ID, app.ID)
			if norm, _ := json.Marshal(got); string(norm) != want {
				t.Errorf("show:\n got %s\nwant %s", norm, want)
			}
			// Again: from the authenticator's memory, same answer.
			if res, _ := show(t, site.URL, bearer(app.ID, secret)); res.StatusCode != 200 {
				t.Errorf("second show: %s", res.Status)
			}

			for name, auth := range map[string]string{
				"no header":         "",
				"wrong secret":      bearer(app.ID, strings.Repeat("0", 64)),
				"unknown app":       bearer(app.ID+1000, secret),
				"not base64":        "Bearer !!!",
				"no colon":          "Bearer " + base64.StdEncoding.EncodeToString([]byte("12")),
				"basic, not bearer": "Basic " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", app.ID, secret)),
			} {
				if res, body := show(t, site.URL, auth); res.StatusCode != 401 || body != "" ||
					!strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: %s %q, want 401 with a Bearer challenge", name, res.Status, body)
				}
			}

			// A new secret: the old one stops working at once.
			newSecret, err := st.NewSecret(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res, _ := show(t, site.URL, bearer(app.ID, secret)); res.StatusCode != 401 {
				t.Errorf("old secret after a new one: %s", res.Status)
			}
			if res, _ := show(t, site.URL, bearer(app.ID, newSecret)); res.StatusCode != 200 {
				t.Errorf("new secret: %s", res.Status)
			}

			// Without the role: 403, at once.
			if _, err := st.Update(ctx, app.ID, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleGroups}}); err != nil {
				t.Fatal(err)
			}
			if res, body := show(t, site.URL, bearer(app.ID, newSecret)); res.StatusCode != 403 || body != "" {
				t.Errorf("without the app role: %s %q, want 403", res.Status, body)
			}
			if err := st.Delete(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			if res, _ := show(t, site.URL, bearer(app.ID, newSecret)); res.StatusCode != 401 {
				t.Errorf("deleted app: %s", res.Status)
			}
		})
	}
}

// TestStoreRefusesBadInput: every bad input is refused with ErrInvalid and
// leaves nothing half-written.
func TestStoreRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := appapi.NewStore(db, testKey, nil)
		for name, in := range map[string]appapi.Input{
			"empty name":      {Name: "  "},
			"long name":       {Name: strings.Repeat("x", 256)},
			"unknown role":    {Name: "A", Roles: []string{"app", "user-admin"}},
			"unknown group":   {Name: "A", Groups: []int64{424242}},
			"unknown login":   {Name: "A", EveLogins: []string{"core.nope"}},
			"unknown manager": {Name: "A", Managers: []int64{424242}},
		} {
			if _, err := st.Create(ctx, in); !errors.Is(err, appapi.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if list, err := st.List(ctx); err != nil || len(list) != 0 {
			t.Errorf("apps after refusals: %+v %v", list, err)
		}
		a, err := st.Create(ctx, appapi.Input{Name: " Bot ", Roles: []string{"app-chars", "app", "app"}})
		if err != nil || a.Name != "Bot" || strings.Join(a.Roles, ",") != "app,app-chars" || a.HasSecret {
			t.Fatalf("create: %+v %v", a, err)
		}
		if _, err := st.Update(ctx, a.ID, appapi.Input{Name: "Bot", Groups: []int64{424242}}); !errors.Is(err, appapi.ErrInvalid) {
			t.Errorf("update with an unknown group: %v", err)
		}
		if got, _ := st.Get(ctx, a.ID); got.Version != a.Version || len(got.Roles) != 2 {
			t.Errorf("a refused update changed the app: %+v", got)
		}
		if _, err := st.Update(ctx, a.ID+1, appapi.Input{Name: "X"}); !errors.Is(err, appapi.ErrNotFound) {
			t.Errorf("update of an unknown app: %v", err)
		}
		if _, err := st.NewSecret(ctx, a.ID+1); !errors.Is(err, appapi.ErrNotFound) {
			t.Errorf("secret of an unknown app: %v", err)
		}
	})
}

// TestGroupsAppsSeeKeepNeucoresNames: a group apps see keeps to the name
// and description Neucore's spec allows (clients generated from it refuse
// others): an app cannot be given a group named otherwise, and such a
// group cannot be renamed or described out of the rule; other groups are
// free.
func TestGroupsAppsSeeKeepNeucoresNames(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			testGroupsAppsSee(t, sitetest.Start(t, sitetest.Options{Dialect: d}))
		})
	}
}

func testGroupsAppsSee(t *testing.T, site *sitetest.Site) {
	ctx := context.Background()
	st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	gs := groups.New(site.DB, groups.Options{Queue: site.Queue(), Checks: []groups.Check{st.CheckGroup}})
	free, err := gs.Create(ctx, groups.Input{Name: "Fleet Commanders"})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := gs.Create(ctx, groups.Input{Name: "fleet.commanders"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, appapi.Input{Name: "Bot", Groups: []int64{free.ID}}); !errors.Is(err, appapi.ErrInvalid) ||
		!strings.Contains(err.Error(), "Fleet Commanders") {
		t.Errorf("an app given %q: %v, want ErrInvalid naming it", free.Name, err)
	}
	if _, err := st.Create(ctx, appapi.Input{Name: "Bot", Groups: []int64{seen.ID}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []groups.Input{
		{Name: "Fleet Command"},
		{Name: strings.Repeat("x", 65)},
		{Name: "fleet.commanders", Description: strings.Repeat("d", 1025)},
	} {
		if _, err := gs.Update(ctx, seen.ID, in); !errors.Is(err, groups.ErrInvalid) {
			t.Errorf("group apps see changed to %.20q, description of %d: %v, want groups.ErrInvalid", in.Name, len(in.Description), err)
		}
	}
	if g, err := gs.Get(ctx, seen.ID); err != nil || g.Name != "fleet.commanders" {
		t.Errorf("after the refusals: %+v %v", g, err)
	}
	if _, err := gs.Update(ctx, seen.ID, groups.Input{Name: "FC_team-2.0", Description: strings.Repeat("d", 1024)}); err != nil {
		t.Errorf("a name and description in the rule: %v", err)
	}
	if _, err := gs.Update(ctx, free.ID, groups.Input{Name: "Fleet Commanders (old)"}); err != nil {
		t.Errorf("a group no app sees: %v", err)
	}
}
