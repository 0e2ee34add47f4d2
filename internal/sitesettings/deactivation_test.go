package sitesettings_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// deactivationSite is a site with a superuser on the settings page and a
// member whose character has no core.default token: with group
// deactivation on and no list, the member's groups are deactivated.
type deactivationSite struct {
	site    *sitetest.Site
	admin   *sitetest.Browser
	account int64
	corp    int32
	log     *sitetest.LogBuffer
}

func eachDeactivationSite(t *testing.T, fn func(t *testing.T, s *deactivationSite)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			log := &sitetest.LogBuffer{}
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: log})
			ctx := context.Background()
			c := site.AccountCharacters(t, 2)
			admin := site.NewBrowser(t)
			admin.LogIn(t, c[0])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(c[0]))); err != nil {
				t.Fatal(err)
			}
			site.NewBrowser(t).LogIn(t, c[1])
			ch, err := site.Accounts().Character(ctx, c[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := site.DB.Exec(ctx, `DELETE FROM eve_tokens WHERE character_id = $1`, c[1]); err != nil {
				t.Fatal(err)
			}
			fn(t, &deactivationSite{site: site, admin: admin, account: ch.AccountID, corp: ch.CorporationID, log: log})
		})
	}
}

func (s *deactivationSite) deactivated(t *testing.T) string {
	t.Helper()
	var d string
	if err := s.site.DB.QueryRow(context.Background(), `SELECT groups_deactivated FROM accounts WHERE id = $1`, s.account).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// waitDeactivated waits, for up to 30 s, until the site's own workers
// have given the member's account the deactivation want: nothing but the
// save asked for a recomputation.
func (s *deactivationSite) waitDeactivated(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.deactivated(t) != want {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the member's groups deactivation is %q, want %q", s.deactivated(t), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A typo in a deactivation list is refused on save, with a message naming
// the field's label and the word (a name nobody has, or a number that is no
// id); nothing is stored.
func TestDeactivationListsAreCheckedOnSave(t *testing.T) {
	eachDeactivationSite(t, func(t *testing.T, s *deactivationSite) {
		for name, want := range map[string]string{
			"groups.deactivation_alliances":    "Only accounts with a character in these alliances: no alliance is named “9900000l”.",
			"groups.deactivation_corporations": "Or with a character in these corporations: no corporation is named “9900000l”.",
		} {
			p := s.admin.Post(t, "/admin/settings", form(map[string]string{"groups.deactivation": "on", name: "99000001, 9900000l, -3"}))
			problems := html.UnescapeString(problemsBlock(p.Body))
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(problems, want) ||
				!strings.Contains(problems, "“-3” is not an EVE id.") ||
				strings.Contains(problems, name) || !strings.Contains(p.Body, `id="`+name+`-error"`) {
				t.Fatalf("%s with a typo: %d\n%s", name, p.Status, p.Body)
			}
			var n int
			if err := s.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM settings WHERE name IN ($1, 'groups.deactivation')`, name).Scan(&n); err != nil || n != 0 {
				t.Fatalf("a refused form stored %d settings (%v)", n, err)
			}
		}
		if d := s.deactivated(t); d != "no" {
			t.Errorf("deactivation %q after refused forms", d)
		}
	})
}

// A list stored broken anyway (by hand, by an older version) deactivates
// nobody, is logged, and is shown on the settings page as stored, to be
// corrected.
func TestBrokenStoredDeactivationListDeactivatesNobody(t *testing.T) {
	eachDeactivationSite(t, func(t *testing.T, s *deactivationSite) {
		ctx := context.Background()
		for name, value := range map[string]string{"groups.deactivation": "true", "groups.deactivation_corporations": "98000001 98OOOOO2"} {
			if _, err := s.site.DB.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)`, name, value, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		s.site.Restart() // past the settings' cache
		s.site.RunJob(t, access.RecomputeArgs{Force: true})
		if d := s.deactivated(t); d != "no" {
			t.Errorf("a broken corporation list deactivated the member: %q", d)
		}
		if log := s.log.String(); !strings.Contains(log, "access rules have a problem") || !strings.Contains(log, "groups.deactivation_corporations") {
			t.Errorf("the broken list is not logged:\n%s", log[max(0, len(log)-3000):])
		}
		s.admin.Expect(t, "superuser", "/admin/settings", nil, 200, "A value stored earlier is not valid and is not used until corrected: Or with a character in these corporations: “98OOOOO2” is not an EVE id",
			`value="98000001 98OOOOO2"`)
	})
}

// Saving a deactivation setting recomputes every account at once, in the
// background: apps see the change without waiting for the hourly run.
func TestSavingDeactivationSettingsRecomputesAtOnce(t *testing.T) {
	eachDeactivationSite(t, func(t *testing.T, s *deactivationSite) {
		s.site.RunJob(t, access.RecomputeArgs{Force: true})
		if d := s.deactivated(t); d != "no" {
			t.Fatalf("deactivation %q with the setting off", d)
		}
		s.admin.Expect(t, "superuser", "/admin/settings", form(map[string]string{"groups.deactivation": "on"}), 200, "The settings were saved")
		s.waitDeactivated(t, "yes")
		// A list without the member's corporation: no longer concerned.
		s.admin.Expect(t, "superuser", "/admin/settings", form(map[string]string{"groups.deactivation": "on",
			"groups.deactivation_corporations": fmt.Sprint(s.corp + 1)}), 200, "The settings were saved")
		s.waitDeactivated(t, "no")
	})
}
