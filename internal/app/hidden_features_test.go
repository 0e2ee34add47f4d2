package app_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// statistics is a stand-in for a feature to come (Neucore's statistics):
// it declares the role statistics, which no built feature gives a meaning
// to. Every built-in EVE login is used by a built feature (member tracking,
// EVE mail): those are offered either way.
func statistics(*core.Core) (feature.Feature, error) {
	return feature.Feature{Name: "statistics", Roles: []string{access.RoleStatistics}}, nil
}

// TestFeaturesOfferTheirRolesAndLogins checks that the roles and built-in
// EVE logins of features not built are offered nowhere (a superuser's role
// forms, the members' tokens, the login flow, the EVE logins' list), that
// a role an account holds anyway survives a save of its roles, and that
// plugging in a feature that declares them offers them everywhere.
func TestFeaturesOfferTheirRolesAndLogins(t *testing.T) {
	for _, plugged := range []bool{false, true} {
		t.Run("plugged="+strconv.FormatBool(plugged), func(t *testing.T) {
			t.Parallel()
			opts := sitetest.Options{}
			if plugged {
				opts.Features = []app.Constructor{statistics}
			}
			site := sitetest.Start(t, opts)
			ctx := context.Background()
			c := site.AccountCharacters(t, 1)
			b := site.NewBrowser(t)
			b.LogIn(t, c[0])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(c[0]))); err != nil {
				t.Fatal(err)
			}
			ch, err := site.Accounts().Character(ctx, c[0])
			if err != nil {
				t.Fatal(err)
			}
			account := strconv.FormatInt(ch.AccountID, 10)
			// Roles of features never built (esi) stay hidden either way;
			// the stand-in's (statistics) are shown when it is plugged.
			for path, marks := range map[string][]string{
				"/admin/accounts/" + account: {`value="` + access.RoleStatistics + `"`, `value="` + access.RoleESI + `"`},
				"/admin/roles":               {`id="role-` + access.RoleStatistics + `"`, `id="role-` + access.RoleESI + `"`},
			} {
				p := b.Get(t, path)
				if p.Status != 200 {
					t.Fatalf("%s: %d", path, p.Status)
				}
				if got := strings.Contains(p.Body, marks[0]); got != plugged {
					t.Errorf("%s: %s shown: %v, want %v", path, marks[0], got, plugged)
				}
				if strings.Contains(p.Body, marks[1]) {
					t.Errorf("%s: %s shown, of no feature", path, marks[1])
				}
			}
			// The logins of built features are offered to this superuser
			// either way.
			for _, path := range []string{"/tokens", "/admin/eve-logins"} {
				p := b.Get(t, path)
				for _, l := range []string{logins.Tracking, logins.Mail} {
					if !strings.Contains(p.Body, `data-login="`+l+`"`) {
						t.Errorf("%s: %s not shown, of a built feature", path, l)
					}
				}
			}
			for _, l := range []string{logins.Tracking, logins.Mail} {
				if p := b.Get(t, "/sso/login/"+l); p.Status != 200 {
					t.Errorf("/sso/login/%s: %d, want 200 (the simulated SSO's page)", l, p.Status)
				}
			}

			// A hidden role held anyway (given before, or through the
			// store) is kept when a superuser saves the account's roles;
			// a hidden role asked for by hand is refused.
			if err := site.Accounts().SetRoles(ctx, ch.AccountID, []string{access.RoleESI}, true); err != nil {
				t.Fatal(err)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleGroupAdmin}}); p.Status != 200 {
				t.Fatalf("save roles: %d", p.Status)
			}
			acc, err := site.Accounts().Get(ctx, ch.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(acc.Roles, []string{access.RoleESI, access.RoleGroupAdmin}) {
				t.Errorf("roles after the save: %v", acc.Roles)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleESI}}); p.Status != 400 {
				t.Errorf("a hidden role asked for: %d, want 400", p.Status)
			}
		})
	}
}
