package appapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestGroupsOfCharacterAreNeverStale: the groups of a character, served in
// one statement to an app whose secret was checked before, follow every
// change at the very next request: memberships, the group itself, the
// account's deactivation, the app's groups and role, a new secret, the
// app's deletion. Each request before a change comes from the same
// process and connection, so any answer or app kept in memory would show.
func TestGroupsOfCharacterAreNeverStale(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			character := pickAccount(t, site, 1, map[int32]bool{}, nil, nil)[0]
			site.NewBrowser(t).LogIn(t, character)
			ch, err := site.Accounts().Character(ctx, character)
			if err != nil {
				t.Fatal(err)
			}
			member := groups.Actor{AccountID: ch.AccountID, Name: "member"}
			st := settings.NewStore(site.DB, settings.NewRegistry(access.Settings, groups.Settings), nil, 0)
			gs := groups.New(site.DB, groups.Options{Recomputer: access.NewRecomputer(site.DB, st, nil), Queue: site.Queue(),
				Catalogue: access.NewCatalogue(access.Permissions), Settings: st})
			alpha, err := gs.Create(ctx, groups.Input{Name: "Alpha", Public: true, Open: true})
			if err != nil {
				t.Fatal(err)
			}
			beta, err := gs.Create(ctx, groups.Input{Name: "Beta", Description: "Scouts", Public: true, Open: true})
			if err != nil {
				t.Fatal(err)
			}
			as := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			app, err := as.Create(ctx, appapi.Input{Name: "Bot", Roles: []string{appapi.RoleApp, appapi.RoleGroups}, Groups: []int64{alpha.ID}})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := as.NewSecret(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			auth := bearer(app.ID, secret)
			path := fmt.Sprintf("%s/api/app/v2/groups/%d", site.URL, character)
			expect := func(step, auth, want string) {
				t.Helper()
				res, body := request(t, "GET", path, auth, "")
				if got := res.Status + " " + body; got != want {
					t.Errorf("%s: %s, want %s", step, got, want)
				}
			}
			ok := func(gs ...groups.Group) string { return "200 OK " + groupsJSON(gs...) }

			expect("no groups", auth, ok())
			expect("no groups, asked again", auth, ok())
			join := func(g groups.Group) {
				t.Helper()
				if out, err := gs.Join(ctx, member, g.ID); err != nil || out != groups.Joined {
					t.Fatalf("join %s: %s %v", g.Name, out, err)
				}
			}
			join(alpha)
			expect("joined Alpha", auth, ok(alpha))
			join(beta)
			expect("joined Beta, which the app does not see", auth, ok(alpha))
			upd := appapi.Input{Name: "Bot", Roles: []string{appapi.RoleApp, appapi.RoleGroups}, Groups: []int64{alpha.ID, beta.ID}}
			if _, err := as.Update(ctx, app.ID, upd); err != nil {
				t.Fatal(err)
			}
			expect("the app sees Beta", auth, ok(alpha, beta))
			alpha.Name = "Zulu"
			if _, err := gs.Update(ctx, alpha.ID, groups.Input{Name: alpha.Name, Public: true, Open: true}); err != nil {
				t.Fatal(err)
			}
			expect("Alpha renamed Zulu", auth, ok(beta, alpha))
			if out, err := gs.Leave(ctx, member, beta.ID); err != nil || out != groups.Left {
				t.Fatalf("leave Beta: %s %v", out, err)
			}
			expect("left Beta", auth, ok(alpha))
			if _, err := site.DB.Exec(ctx, `UPDATE accounts SET groups_deactivated = 'yes' WHERE id = $1`, ch.AccountID); err != nil {
				t.Fatal(err)
			}
			expect("groups deactivated", auth, ok())
			if _, err := site.DB.Exec(ctx, `UPDATE accounts SET groups_deactivated = 'no' WHERE id = $1`, ch.AccountID); err != nil {
				t.Fatal(err)
			}
			expect("groups active again", auth, ok(alpha))

			upd.Roles = []string{appapi.RoleApp}
			if _, err := as.Update(ctx, app.ID, upd); err != nil {
				t.Fatal(err)
			}
			expect("role app-groups taken", auth, "403 Forbidden ")
			upd.Roles = []string{appapi.RoleApp, appapi.RoleGroups}
			if _, err := as.Update(ctx, app.ID, upd); err != nil {
				t.Fatal(err)
			}
			expect("role app-groups given back", auth, ok(alpha))
			renewed, err := as.NewSecret(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			expect("the old secret after a new one", auth, "401 Unauthorized ")
			expect("the new secret", bearer(app.ID, renewed), ok(alpha))
			if err := as.Delete(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			expect("the app deleted", bearer(app.ID, renewed), "401 Unauthorized ")
			res, _ := request(t, "GET", path, "", "")
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("no secret: %s", res.Status)
			}
		})
	}
}
