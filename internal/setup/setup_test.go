package setup_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// done reads which items of a page's checklist are ticked: data-step or
// the setup-<id> element, with its data-done.
func done(body string) map[string]bool {
	out := map[string]bool{}
	re := regexp.MustCompile(`(?:id="setup-|data-step=")([a-z-]+)" data-done="(true|false)"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2] == "true"
	}
	return out
}

// The checklist ticks itself as the data appears: the EVE application and
// a login at once, then a state for an alliance, a group, a role given
// and the jobs running; the dashboard shows it to superusers until it is
// done, and never to other members.
func TestChecklistTicksAsDataAppears(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			ids := site.AccountCharacters(t, 1)
			su := site.NewBrowser(t)
			su.LogIn(t, ids[0])
			accs := site.Accounts()
			if _, _, err := accs.GrantSuperuser(ctx, strconv.Itoa(int(ids[0]))); err != nil {
				t.Fatal(err)
			}
			other := site.AccountCharacters(t, 1, ids[0])
			member := site.NewBrowser(t)
			member.LogIn(t, other[0])

			page := su.Get(t, "/admin/setup")
			if page.Status != 200 {
				t.Fatalf("setup page: %d", page.Status)
			}
			got := done(page.Body)
			for id, want := range map[string]bool{"eve-application": true, "test-login": true, "state": false, "groups": false, "roles": false} {
				if got[id] != want {
					t.Errorf("fresh site: %s done %v, want %v", id, got[id], want)
				}
			}
			// The callback URL to register, exactly, with its copy button
			// (shown by the script) and as selectable text without it.
			if !strings.Contains(page.Body, `<code class="user-select-all text-break" id="copy-eve-application">`+site.URL+`/sso/callback</code>`) ||
				!strings.Contains(page.Body, `data-copy="copy-eve-application"`) || !strings.Contains(page.Body, `/static/copy.js?v=`) {
				t.Errorf("callback URL not shown to copy:\n%s", page.Body)
			}
			dash := su.Get(t, "/dashboard")
			if !strings.Contains(dash.Body, `id="setup"`) || done(dash.Body)["state"] {
				t.Errorf("dashboard lacks the checklist:\n%s", dash.Body)
			}
			if strings.Contains(member.Get(t, "/dashboard").Body, `id="setup"`) {
				t.Error("a member who is no superuser sees the checklist")
			}

			// A state for an alliance: the Member state every site starts
			// with, given its alliance.
			list, err := states.New(site.DB, nil, nil, nil).List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var memberState int64
			for _, st := range list {
				if st.Name == "Member" {
					memberState = st.ID
				}
			}
			alliance := site.Sim.Universe.Alliances()[0]
			su.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(memberState, 10), url.Values{"name": {"Member"}, "priority": {"100"},
				"alliances": {strconv.Itoa(int(alliance))}, "permissions": {"groups.request"}}, 200)
			// A group.
			su.Expect(t, "superuser", "/admin/groups", url.Values{"name": {"Pilots"}, "public": {"on"}}, 200)
			// A role given to another account.
			c, err := accs.Character(ctx, other[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := accs.SetRoles(ctx, c.AccountID, []string{access.RoleGroupAdmin}, false); err != nil {
				t.Fatal(err)
			}
			// A service, created and enabled on its admin pages.
			su.Expect(t, "superuser", "/admin/services", url.Values{"type": {"discord"}, "slug": {"discord"}, "name": {"Discord"}}, 200)
			if got := done(su.Get(t, "/admin/setup").Body); got["service"] {
				t.Error("service ticked for a service not enabled")
			}
			su.Expect(t, "superuser", "/admin/services/discord", url.Values{"name": {"Discord"}, "enabled": {"on"}, "map_by_name": {"on"},
				"setting-guild_id": {"100000000000000001"}, "setting-client_id": {"100000000000000002"},
				"setting-client_secret": {"secret"}, "setting-bot_token": {"token"}}, 200)
			got = done(su.Get(t, "/admin/setup").Body)
			for _, id := range []string{"state", "groups", "roles", "service"} {
				if !got[id] {
					t.Errorf("%s not ticked after it was done", id)
				}
			}
			// The jobs: the scheduler ticks at start; the item ticks once
			// its run is recorded.
			deadline := time.Now().Add(60 * time.Second)
			for !done(su.Get(t, "/admin/setup").Body)["jobs"] {
				if time.Now().After(deadline) {
					t.Fatal("jobs not ticked after 60 s")
				}
				time.Sleep(200 * time.Millisecond)
			}
			page = su.Get(t, "/admin/setup")
			if !strings.Contains(page.Body, `id="setup-complete"`) {
				t.Errorf("complete checklist not said so:\n%s", page.Body)
			}
			if strings.Contains(su.Get(t, "/dashboard").Body, `id="setup"`) {
				t.Error("the dashboard still shows the checklist once done")
			}
		})
	}
}
