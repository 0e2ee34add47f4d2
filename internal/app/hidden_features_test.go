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

// tracking is a stand-in for the member tracking feature to come: it
// declares the roles and the EVE login member tracking needs.
func tracking(*core.Core) (feature.Feature, error) {
	return feature.Feature{Name: "tracking", Roles: []string{access.RoleTracking, access.RoleTrackingAdmin},
		Logins: []string{logins.Tracking}}, nil
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
				opts.Features = []app.Constructor{tracking}
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
			// Roles of features never built (statistics) stay hidden
			// either way; the tracking roles are shown when plugged.
			for path, marks := range map[string][]string{
				"/admin/accounts/" + account: {`value="` + access.RoleTracking + `"`, `value="` + access.RoleStatistics + `"`},
				"/admin/roles":               {`id="role-` + access.RoleTracking + `"`, `id="role-` + access.RoleStatistics + `"`},
				"/tokens":                    {`data-login="` + logins.Tracking + `"`, `data-login="` + logins.Mail + `"`},
				"/admin/eve-logins":          {`data-login="` + logins.Tracking + `"`, `data-login="` + logins.Mail + `"`},
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
			want := 404
			if plugged {
				want = 200 // the simulated SSO's page
			}
			if p := b.Get(t, "/sso/login/"+logins.Tracking); p.Status != want {
				t.Errorf("/sso/login/%s: %d, want %d", logins.Tracking, p.Status, want)
			}
			if p := b.Get(t, "/sso/login/"+logins.Mail); p.Status != 404 {
				t.Errorf("/sso/login/%s: %d, want 404", logins.Mail, p.Status)
			}

			// A hidden role held anyway (given before, or through the
			// store) is kept when a superuser saves the account's roles;
			// a hidden role asked for by hand is refused.
			if err := site.Accounts().SetRoles(ctx, ch.AccountID, []string{access.RoleStatistics}, true); err != nil {
				t.Fatal(err)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleGroupAdmin}}); p.Status != 200 {
				t.Fatalf("save roles: %d", p.Status)
			}
			acc, err := site.Accounts().Get(ctx, ch.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(acc.Roles, []string{access.RoleGroupAdmin, access.RoleStatistics}) {
				t.Errorf("roles after the save: %v", acc.Roles)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleStatistics}}); p.Status != 400 {
				t.Errorf("a hidden role asked for: %d, want 400", p.Status)
			}
		})
	}
}
