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

// watchlist is a stand-in for the watchlist and mail features to come: it
// declares the role watchlist and the EVE login mail needs. (Member
// tracking, plugged in, offers its roles and login always.)
func watchlist(*core.Core) (feature.Feature, error) {
	return feature.Feature{Name: "watchlist", Roles: []string{access.RoleWatchlist}, Logins: []string{logins.Mail}}, nil
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
				opts.Features = []app.Constructor{watchlist}
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
			// Roles of features never built (the watchlist admin) stay
			// hidden either way; the stand-in's are shown when plugged,
			// member tracking's always.
			for path, marks := range map[string][]string{
				"/admin/accounts/" + account: {`value="` + access.RoleWatchlist + `"`, `value="` + access.RoleWatchlistAdmin + `"`, `value="` + access.RoleTracking + `"`},
				"/admin/roles":               {`id="role-` + access.RoleWatchlist + `"`, `id="role-` + access.RoleWatchlistAdmin + `"`, `id="role-` + access.RoleTracking + `"`},
				"/tokens":                    {`data-login="` + logins.Mail + `"`, `data-login="none-of-any-feature"`, `data-login="` + logins.Tracking + `"`},
				"/admin/eve-logins":          {`data-login="` + logins.Mail + `"`, `data-login="none-of-any-feature"`, `data-login="` + logins.Tracking + `"`},
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
				if !strings.Contains(p.Body, marks[2]) {
					t.Errorf("%s: %s not shown, of a plugged feature", path, marks[2])
				}
			}
			want := 404
			if plugged {
				want = 200 // the simulated SSO's page
			}
			if p := b.Get(t, "/sso/login/"+logins.Mail); p.Status != want {
				t.Errorf("/sso/login/%s: %d, want %d", logins.Mail, p.Status, want)
			}
			if p := b.Get(t, "/sso/login/"+logins.Tracking); p.Status != 200 {
				t.Errorf("/sso/login/%s: %d, want 200", logins.Tracking, p.Status)
			}

			// A hidden role held anyway (given before, or through the
			// store) is kept when a superuser saves the account's roles;
			// a hidden role asked for by hand is refused.
			if err := site.Accounts().SetRoles(ctx, ch.AccountID, []string{access.RoleWatchlistManager}, true); err != nil {
				t.Fatal(err)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleGroupAdmin}}); p.Status != 200 {
				t.Fatalf("save roles: %d", p.Status)
			}
			acc, err := site.Accounts().Get(ctx, ch.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(acc.Roles, []string{access.RoleGroupAdmin, access.RoleWatchlistManager}) {
				t.Errorf("roles after the save: %v", acc.Roles)
			}
			if p := b.Post(t, "/admin/accounts/"+account+"/roles", url.Values{"superuser": {"on"}, "role": {access.RoleWatchlistAdmin}}); p.Status != 400 {
				t.Errorf("a hidden role asked for: %d, want 400", p.Status)
			}
		})
	}
}
