package corpstats_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The whole flow on a site: the add page says an administrator must create
// an EVE login with the scope; once there is one, a member with
// corpstats.add gives a character a token through it and adds the Corp
// Stats of its corporation; the lists show the members, the search finds
// them, a viewer with view_all updates it (within the cache time: nothing
// asked); a member without a rule is refused every page, one whose rule
// does not reach the corporation too. Bad input is refused with a message.
func TestAddAndViewOnSite(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		u := site.Sim.Universe
		adder, viewer, outsider, narrow := site.NewMember(t), site.NewMember(t), site.NewMember(t), site.NewMember(t)
		grant := func(m *sitetest.Member, perms ...string) {
			t.Helper()
			if err := site.Accounts().SetPermissions(ctx, m.AccountID, perms); err != nil {
				t.Fatal(err)
			}
		}
		grant(adder, corpstats.PermissionAdd.Name)
		grant(viewer, corpstats.PermissionViewAll.Name)
		grant(narrow, corpstats.PermissionViewCorp.Name)
		corp := adder.Corporation
		if narrow.Corporation == corp {
			t.Skip("the simulated members share a corporation")
		}
		corpPath := "/corpstats/" + strconv.Itoa(int(corp))

		p := adder.Browser.Get(t, "/corpstats/add")
		if p.Status != 200 || !strings.Contains(p.Body, `id="corpstats-no-login"`) || strings.Contains(p.Body, `href="/admin/eve-logins"`) {
			t.Fatalf("add page without a login: %d", p.Status)
		}
		// One who may create EVE logins is given the way there.
		admin := site.NewMember(t)
		if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(admin.Character))); err != nil {
			t.Fatal(err)
		}
		if p := admin.Browser.Get(t, "/corpstats/add"); !strings.Contains(p.Body, `id="corpstats-create-login"`) {
			t.Error("the add page does not link the EVE logins for a superuser")
		}
		if _, err := logins.NewStore(site.DB, nil).Create(ctx, logins.Input{Name: "members", Description: "Corporation members.",
			Scopes: corpstats.MembershipScope}); err != nil {
			t.Fatal(err)
		}
		p = adder.Browser.Get(t, "/corpstats/add")
		if !strings.Contains(p.Body, `href="/sso/login/members"`) || !strings.Contains(p.Body, `id="character-`+strconv.Itoa(int(adder.Character))+`" disabled`) {
			t.Fatalf("add page: no link to the login, or the character offered without a token")
		}
		adder.Browser.Expect(t, "adder without a token", "/corpstats/add", url.Values{"character": {strconv.Itoa(int(adder.Character))}},
			http.StatusUnprocessableEntity, "no valid token")
		if p := adder.Browser.Flow(t, "/sso/login/members", adder.Character); p.Status != http.StatusOK {
			t.Fatalf("token of the members login: %d", p.Status)
		}
		adder.Browser.Expect(t, "no character", "/corpstats/add", url.Values{"character": {"x"}}, http.StatusBadRequest, "Choose one of your characters")
		adder.Browser.Expect(t, "another's character", "/corpstats/add", url.Values{"character": {strconv.Itoa(int(viewer.Character))}},
			http.StatusUnprocessableEntity, "not one of yours")
		p = adder.Browser.Post(t, "/corpstats/add", url.Values{"character": {strconv.Itoa(int(adder.Character))}})
		want, _ := u.Members(corp)
		if p.Status != 200 || !strings.Contains(p.Body, `id="corpstats-mains"`) || !strings.Contains(p.Body, `data-main="`+strconv.Itoa(int(adder.Character))+`"`) {
			t.Fatalf("added: %d", p.Status)
		}
		adder.Browser.Expect(t, "a second Corp Stats", "/corpstats/add", url.Values{"character": {strconv.Itoa(int(adder.Character))}},
			http.StatusConflict, "already has a Corp Stats")

		s, err := corpstats.Get(ctx, site.DB, corp)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := corpstats.Build(ctx, site.DB, s)
		if err != nil {
			t.Fatal(err)
		}
		p = viewer.Browser.Get(t, corpPath+"?view=members")
		if p.Status != 200 || strings.Count(p.Body, `data-character="`) != len(want) {
			t.Fatalf("members view: %d, %d rows, want %d", p.Status, strings.Count(p.Body, `data-character="`), len(want))
		}
		if n := strings.Count(p.Body, `data-registered="false"`); n != rep.Unregistered || rep.Registered == 0 {
			t.Errorf("%d rows marked unregistered, want %d (%d registered)", n, rep.Unregistered, rep.Registered)
		}
		if !strings.Contains(p.Body, `href="`+corpPath+`?view=unregistered"`) || !strings.Contains(p.Body, `href="`+corpPath+`?sort=main&amp;view=members"`) {
			t.Error("the members view does not link the other lists and the sorts by path and query")
		}
		p = viewer.Browser.Get(t, corpPath+"?view=unregistered")
		if n := strings.Count(p.Body, `data-character="`); n != rep.Unregistered {
			t.Errorf("unregistered view: %d rows, want %d", n, rep.Unregistered)
		}
		if strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(adder.Character))+`"`) {
			t.Error("the adder listed as unregistered")
		}
		p = viewer.Browser.Get(t, corpPath+"?view=members&q="+url.QueryEscape(adder.Name))
		if !strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(adder.Character))+`"`) {
			t.Error("the corporation's search does not find the adder")
		}
		p = viewer.Browser.Get(t, "/corpstats/search?q="+url.QueryEscape(adder.Name))
		if p.Status != 200 || !strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(adder.Character))+`"`) {
			t.Errorf("search page: %d, the adder not found", p.Status)
		}
		p = viewer.Browser.Post(t, corpPath+"/update", nil)
		if p.Status != 200 || !strings.Contains(p.Body, "cached until") {
			t.Errorf("update within the cache time: %d", p.Status)
		}
		// The job updates every Corp Stats: within the cache time, nothing
		// changes.
		site.RunJob(t, corpstats.UpdateArgs{})
		if after, err := corpstats.Get(ctx, site.DB, corp); err != nil || !after.FetchedAt.Equal(s.FetchedAt) || after.Error != "" {
			t.Errorf("after the job: %+v, %v", after, err)
		}
		if p := viewer.Browser.Get(t, "/corpstats"); !strings.Contains(p.Body, `data-corporation="`+strconv.Itoa(int(corp))+`"`) {
			t.Error("the list does not show the Corp Stats to view_all")
		}
		if p := viewer.Browser.Get(t, "/corpstats/98999999"); p.Status != 404 {
			t.Errorf("view_all, no such Corp Stats: %d, want 404", p.Status)
		}

		// Refused: no rule; a rule that does not reach the corporation.
		for _, path := range []string{"/corpstats", "/corpstats/search?q=a", corpPath} {
			if p := outsider.Browser.Get(t, path); p.Status != 403 {
				t.Errorf("no rule, %s: %d, want 403", path, p.Status)
			}
		}
		if p := outsider.Browser.Post(t, corpPath+"/update", nil); p.Status != 403 {
			t.Errorf("no rule, update: %d, want 403", p.Status)
		}
		if p := outsider.Browser.Get(t, "/corpstats/add"); p.Status != 403 {
			t.Errorf("no add permission, add page: %d, want 403", p.Status)
		}
		if p := narrow.Browser.Get(t, corpPath); p.Status != 403 {
			t.Errorf("view_corp of another corporation: %d, want 403", p.Status)
		}
		if p := narrow.Browser.Get(t, "/corpstats"); p.Status != 200 || strings.Contains(p.Body, `data-corporation="`) {
			t.Errorf("view_corp of another corporation, list: %d", p.Status)
		}
		if p := narrow.Browser.Get(t, "/corpstats/search?q="+url.QueryEscape(adder.Name)); strings.Contains(p.Body, `data-character="`) {
			t.Error("the search shows a Corp Stats the viewer may not see")
		}
		// The adder keeps seeing it without a view rule.
		grant(adder)
		if p := adder.Browser.Get(t, corpPath); p.Status != 200 {
			t.Errorf("the adder without permissions: %d, want 200", p.Status)
		}
	})
}
