package smf_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "embed"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/services/forumdb/forumdbtest"
	"github.com/keepstar/keepstar/internal/services/smf"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The end-to-end test of the SMF service: a whole site on either engine
// with an SMF instance on a fixture forum database on the real MariaDB
// (KEEPSTAR_TEST_MARIADB_DSN), a member using the pages.

//go:embed testdata/schema.sql
var schema string

var (
	shownUsername = regexp.MustCompile(`<code id="credentials-username">([^<]*)</code>`)
	shownPassword = regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`)
)

// A member activates SMF: the login name shown has SMF's refused
// characters replaced, the display name keeps the apostrophe (escaped as
// SMF stores it) and the Cyrillic; SMF's login rule (lower(name) +
// password) verifies the password shown; groups follow joins and leaves;
// losing access disables (the password no more, the row kept);
// reactivation takes the same member back.
func TestSMFLifecycle(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		f := forumdbtest.New(t, schema, "smf_")
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		svc := site.Services(t, smf.Type)
		inst, err := svc.Create(ctx, services.Input{Slug: "smf", Type: smf.TypeName, Name: "SMF"})
		if err != nil {
			t.Fatal(err)
		}
		set := f.Settings("", "smf_")
		set[forumdb.SettingCreateGroups] = "true"
		if inst, err = svc.Update(ctx, inst.ID, services.Input{Name: "SMF", Enabled: true, MapByName: true,
			NameFormat: "Пилот {character_name}'s", Settings: set}); err != nil {
			t.Fatal(err)
		}
		site.GrantGuests(t, "groups.request", inst.Permission())
		c := site.NewMember(t)
		b := c.Browser
		g := site.OpenGroup(t, "Fleet Command")
		b.JoinGroup(t, g)
		site.SettleServices(t)
		activate := func() (string, string) {
			p := b.Post(t, "/services/smf/activate", url.Values{})
			u, pw := shownUsername.FindStringSubmatch(p.Body), shownPassword.FindStringSubmatch(p.Body)
			if p.Status != http.StatusOK || u == nil || pw == nil {
				t.Fatalf("activation: %d\n%s", p.Status, p.Body)
			}
			site.SettleServices(t)
			return html.UnescapeString(u[1]), html.UnescapeString(pw[1])
		}
		login, password := activate()
		if login != "Пилот "+c.Name+"_s" {
			t.Errorf("login name shown %q", login)
		}
		read := func() (id int, realName, passwd, extra string) {
			// SMF's login: member_name compared without case.
			if err := f.DB.QueryRowContext(ctx, `SELECT id_member, real_name, passwd, additional_groups FROM smf_members WHERE member_name = ?`,
				strings.ToUpper(login)).Scan(&id, &realName, &passwd, &extra); err != nil {
				t.Fatal(err)
			}
			return
		}
		groupID := func(name string) string {
			var id int
			if err := f.DB.QueryRowContext(ctx, `SELECT id_group FROM smf_membergroups WHERE group_name = ?`, name).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return strconv.Itoa(id)
		}
		id, realName, passwd, extra := read()
		if realName != "Пилот "+html.EscapeString(c.Name)+"&#039;s" || !smf.Verify(login, password, passwd) || extra != groupID("Fleet Command") {
			t.Errorf("member: %q, password verifies %t, groups %q", realName, smf.Verify(login, password, passwd), extra)
		}
		b.LeaveGroup(t, g)
		site.SettleServices(t)
		if _, _, _, extra := read(); extra != "" {
			t.Errorf("groups after leaving %q", extra)
		}
		b.JoinGroup(t, g)
		site.SettleServices(t)

		site.RevokeGuests(t, inst.Permission())
		if _, err := svc.Verify(ctx, inst.ID); err != nil {
			t.Fatal(err)
		}
		site.SettleServices(t)
		sitetest.WaitFor(t, "the member to be disabled", func() bool {
			_, _, passwd, extra := read()
			return !smf.Verify(login, password, passwd) && extra == ""
		})
		site.GrantGuests(t, inst.Permission())
		_, password = activate()
		again, _, passwd, extra := read()
		if again != id || !smf.Verify(login, password, passwd) || !slices.Equal(strings.Split(extra, ","), []string{groupID("Fleet Command")}) {
			t.Errorf("reactivated member %d (was %d), groups %q", again, id, extra)
		}
	})
}
