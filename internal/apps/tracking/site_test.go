package tracking_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The whole flow on a site: a director adds a core.tracking token, the
// job reads the corporation, a tracking admin gives it a group; a member
// of the group (the role tracking follows the membership) sees the
// members, filters them and gets the CSV; one with the role but not the
// group is refused, and so is the member once out of the group.
func TestDirectorTokenToLeaderPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		u := site.Sim.Universe
		director := site.NewMember(t)
		if err := u.SetRoles(director.Character, []string{"Director"}); err != nil {
			t.Fatal(err)
		}
		if p := director.Browser.Flow(t, "/sso/login/core.tracking", director.Character); p.Status != http.StatusOK {
			t.Fatalf("core.tracking login: %d", p.Status)
		}
		site.RunJob(t, tracking.UpdateArgs{})
		corp := director.Corporation
		c, err := tracking.CorporationByID(ctx, site.DB, corp)
		want, _ := u.Members(corp)
		if err != nil || c.Error != "" || c.Members != len(want) {
			t.Fatalf("tracked %+v, %v; want %d members", c, err, len(want))
		}
		corpPath := "/tracking/" + strconv.Itoa(int(corp))

		leader, roleless, outsider := site.NewMember(t), site.NewMember(t), site.NewMember(t)
		for _, m := range []*sitetest.Member{leader, outsider} {
			if err := site.Accounts().SetRoles(ctx, m.AccountID, []string{access.RoleTracking}, false); err != nil {
				t.Fatal(err)
			}
		}
		admin := site.NewMember(t)
		if err := site.Accounts().SetRoles(ctx, admin.AccountID, []string{access.RoleTrackingAdmin}, false); err != nil {
			t.Fatal(err)
		}
		group := site.OpenGroup(t, "Leaders")
		leader.Browser.JoinGroup(t, group)
		roleless.Browser.JoinGroup(t, group)
		if p := admin.Browser.Get(t, "/admin/tracking"); p.Status != 200 || !strings.Contains(p.Body, `id="groups-`+strconv.Itoa(int(corp))+`"`) {
			t.Fatalf("admin page: %d", p.Status)
		}
		if p := admin.Browser.Post(t, "/admin/tracking/"+strconv.Itoa(int(corp))+"/groups", url.Values{"groups": {strconv.FormatInt(group, 10)}}); p.Status != 200 {
			t.Fatalf("set groups: %d", p.Status)
		}
		if p := admin.Browser.Post(t, "/admin/tracking/"+strconv.Itoa(int(corp))+"/groups", url.Values{"groups": {"999999"}}); p.Status != 400 {
			t.Fatalf("an unknown group: %d, want 400", p.Status)
		}
		// The admin is in no group: no corporation's members.
		if p := admin.Browser.Get(t, corpPath); p.Status != 403 {
			t.Errorf("admin without the role: %d, want 403", p.Status)
		}

		p := leader.Browser.Get(t, "/tracking")
		if p.Status != 200 || !strings.Contains(p.Body, `data-corporation="`+strconv.Itoa(int(corp))+`"`) {
			t.Fatalf("leader's list: %d", p.Status)
		}
		p = leader.Browser.Get(t, corpPath)
		if p.Status != 200 || strings.Count(p.Body, `data-character="`) != len(want) {
			t.Fatalf("leader's page: %d, %d rows, want %d", p.Status, strings.Count(p.Body, `data-character="`), len(want))
		}
		// The column links sort: followed as a browser follows them, the
		// character column's link lists the members by name, and the
		// CSV link keeps the filter.
		link := regexp.MustCompile(`<a href="([^"]*)">` + "[^<]*" + `</a></th>`).FindStringSubmatch(p.Body)
		if link == nil {
			t.Fatal("no sort link in the first column")
		}
		sorted := leader.Browser.Get(t, html.UnescapeString(link[1]))
		byName, err := tracking.Members(ctx, site.DB, corp, tracking.Filter{Sort: "name"}, u.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids := regexp.MustCompile(`data-character="(\d+)"`).FindAllStringSubmatch(sorted.Body, -1)
		if sorted.Status != 200 || len(ids) != len(byName) {
			t.Fatalf("sorted by name (%s): %d, %d rows", link[1], sorted.Status, len(ids))
		}
		for i, m := range byName {
			if ids[i][1] != strconv.Itoa(int(m.CharacterID)) {
				t.Fatalf("sorted by name (%s): row %d is %s, want %d", link[1], i, ids[i][1], m.CharacterID)
			}
		}
		filtered := leader.Browser.Get(t, corpPath+"?account=true")
		csvLink := regexp.MustCompile(`href="([^"]*)" id="csv"`).FindStringSubmatch(filtered.Body)
		if csvLink == nil || html.UnescapeString(csvLink[1]) != corpPath+"/csv?account=true" {
			t.Fatalf("CSV link %v, want %s/csv?account=true", csvLink, corpPath)
		}

		// Those on an account: the director, the leader, the others who
		// logged in and share the corporation.
		registered, err := tracking.Members(ctx, site.DB, corp, tracking.Filter{Account: "true"}, u.Now())
		if err != nil || len(registered) == 0 {
			t.Fatalf("registered: %d, %v", len(registered), err)
		}
		p = leader.Browser.Get(t, corpPath+"?account=false")
		if n := strings.Count(p.Body, `data-character="`); n != len(want)-len(registered) {
			t.Errorf("not registered: %d rows, want %d", n, len(want)-len(registered))
		}
		if strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(director.Character))+`"`) {
			t.Error("the director listed as not registered")
		}
		res := leader.Browser.Get(t, corpPath+"/csv?account=true")
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if res.Status != 200 || err != nil || len(rows) != len(registered)+1 || rows[0][0] != "character_id" {
			t.Fatalf("CSV: %d, %v, %d rows, want %d", res.Status, err, len(rows), len(registered)+1)
		}
		for _, r := range rows[1:] {
			if r[9] != "true" || r[11] == "" {
				t.Errorf("CSV row of a registered member without its main: %v", r)
			}
		}

		// Refused: the role without the group, the group without the role.
		if p := outsider.Browser.Get(t, corpPath); p.Status != 403 {
			t.Errorf("role without the group: %d, want 403", p.Status)
		}
		if p := outsider.Browser.Get(t, corpPath+"/csv"); p.Status != 403 {
			t.Errorf("role without the group, CSV: %d, want 403", p.Status)
		}
		// The role follows the group: given by joining, gone on leaving.
		if p := roleless.Browser.Get(t, corpPath); p.Status != 200 {
			t.Errorf("in the group, no role given by hand: %d, want 200", p.Status)
		}
		roleless.Browser.LeaveGroup(t, group)
		if p := roleless.Browser.Get(t, corpPath); p.Status != 403 {
			t.Errorf("out of the group: %d, want 403", p.Status)
		}
		if p := roleless.Browser.Get(t, "/tracking"); p.Status != 403 {
			t.Errorf("out of the group, the list: %d, want 403", p.Status)
		}
		if p := leader.Browser.Get(t, "/admin/tracking"); p.Status != 403 {
			t.Errorf("leader on the admin page: %d, want 403", p.Status)
		}
	})
}
