package access_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// pageSite is a running site, with the test's own recomputer and groups
// store over its database.
type pageSite struct {
	t      *testing.T
	ctx    context.Context
	site   *sitetest.Site
	rec    *access.Recomputer
	groups *groups.Store
	used   []int32
}

// pageQueue runs none of the recomputations queued through it: tests
// recompute themselves.
type pageQueue struct{}

func (pageQueue) InsertTx(context.Context, *store.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}

func eachPageSite(t *testing.T, fn func(t *testing.T, s *pageSite)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			st := settings.NewStore(site.DB, settings.NewRegistry(groups.Settings, access.Settings), nil, 0)
			rec := access.NewRecomputer(site.DB, st, nil)
			fn(t, &pageSite{t: t, ctx: context.Background(), site: site, rec: rec,
				groups: groups.New(site.DB, groups.Options{Recomputer: rec, Queue: pageQueue{},
					Catalogue: access.NewCatalogue(access.Permissions), Settings: st})})
		})
	}
}

type pageVisitor struct {
	b       *sitetest.Browser
	account int64
	name    string
}

// visitor logs in a new member; superuser makes it one, roles are given.
func (s *pageSite) visitor(superuser bool, roles ...string) pageVisitor {
	t := s.t
	t.Helper()
	c := s.site.AccountCharacters(t, 1, s.used...)[0]
	s.used = append(s.used, c)
	v := pageVisitor{b: s.site.NewBrowser(t)}
	v.b.LogIn(t, c)
	accs := s.site.Accounts()
	ch, err := accs.Character(s.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.account, v.name = ch.AccountID, ch.Name
	if superuser {
		_, _, err = accs.GrantSuperuser(s.ctx, strconv.Itoa(int(c)))
	} else if len(roles) > 0 {
		err = accs.SetRoles(s.ctx, v.account, roles, false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do posts a form (GET when form is nil) and checks the status and texts
// of the page it ends on.
func (s *pageSite) do(v pageVisitor, path string, form url.Values, status int, contains ...string) string {
	s.t.Helper()
	return v.b.Expect(s.t, v.name, path, form, status, contains...)
}

func (s *pageSite) id(query string, args ...any) int64 {
	s.t.Helper()
	var id int64
	if err := s.site.DB.QueryRow(s.ctx, query, args...).Scan(&id); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return id
}

func (s *pageSite) recomputeAll() {
	s.t.Helper()
	if _, err := s.rec.All(s.ctx); err != nil {
		s.t.Fatal(err)
	}
}

// pageRow gives the markup of the table row of id.
func pageRow(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<tr id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no row %s", id)
	}
	row := body[i:]
	if j := strings.Index(row, "</tr>"); j >= 0 {
		row = row[:j]
	}
	return row
}

func TestPermissionsOverviewAndAudit(t *testing.T) {
	eachPageSite(t, func(t *testing.T, s *pageSite) {
		su := s.visitor(true)
		ga := s.visitor(false, access.RoleGroupAdmin)
		inGroup, direct := s.visitor(false), s.visitor(false)
		audit, manageAll := access.PermissionAudit.Name, access.PermissionManageGroups.Name

		// Nobody but superusers holds the audit permission yet.
		s.do(ga, "/admin/permissions", nil, 403)
		s.do(direct, "/admin/permissions/"+audit, nil, 403)
		s.do(su, "/admin/permissions", nil, 200, `id="permission-`+audit+`"`)

		// The permission through a group, directly, and through a state.
		s.do(su, "/admin/groups", url.Values{"name": {"Auditors"}, "public": {"on"}, "permissions": {audit}}, 200)
		auditors := s.id(`SELECT id FROM groups WHERE name = 'Auditors'`)
		if err := s.groups.Add(s.ctx, groups.Actor{Superuser: true, Name: "test"}, auditors, inGroup.account); err != nil {
			t.Fatal(err)
		}
		if err := access.SetAccountPermissions(s.ctx, s.site.DB, direct.account, []string{audit}, time.Now()); err != nil {
			t.Fatal(err)
		}
		guest := s.id(`SELECT id FROM states WHERE guest`)
		s.do(su, "/admin/states/"+strconv.FormatInt(guest, 10), url.Values{"name": {"Guest"}, "priority": {"0"}, "public": {"on"},
			"permissions": {manageAll}}, 200)
		s.recomputeAll()
		guests := int(s.id(`SELECT count(*) FROM accounts WHERE state_id = $1`, guest))
		if guests < 4 {
			t.Fatalf("%d accounts in the guest state, want the 4 logged in", guests)
		}

		page := s.do(su, "/admin/permissions", nil, 200)
		if row := pageRow(t, page, "permission-"+audit); !strings.Contains(row,
			`data-accounts="1" data-groups="1" data-group-accounts="1" data-states="0" data-state-accounts="0" data-holders="2"`) {
			t.Errorf("overview of %s: %s", audit, row)
		}
		want := `data-accounts="0" data-groups="0" data-group-accounts="0" data-states="1" data-state-accounts="` + strconv.Itoa(guests) +
			`" data-holders="` + strconv.Itoa(guests) + `"`
		if row := pageRow(t, page, "permission-"+manageAll); !strings.Contains(row, want) {
			t.Errorf("overview of %s: %s\nwant %s", manageAll, row, want)
		}

		// Who holds it, and through what.
		page = s.do(su, "/admin/permissions/"+audit, nil, 200, "2 accounts hold it", ">Auditors</a>")
		if row := pageRow(t, page, "holder-"+strconv.FormatInt(inGroup.account, 10)); !strings.Contains(row, `data-through="group">group Auditors<`) {
			t.Errorf("holder through the group: %s", row)
		}
		if row := pageRow(t, page, "holder-"+strconv.FormatInt(direct.account, 10)); !strings.Contains(row, `data-through="account"`) {
			t.Errorf("holder given it directly: %s", row)
		}
		if strings.Contains(page, `id="holder-`+strconv.FormatInt(ga.account, 10)+`"`) {
			t.Error("the group admin is listed as a holder")
		}
		page = s.do(su, "/admin/permissions/"+manageAll, nil, 200, ">Guest</a>")
		if row := pageRow(t, page, "holder-"+strconv.FormatInt(ga.account, 10)); !strings.Contains(row, `data-through="state">state Guest<`) {
			t.Errorf("holder through the state: %s", row)
		}
		s.do(su, "/admin/permissions/no.such", nil, 404)

		// Its holders may use the pages, however they hold it; roles stay
		// for superusers.
		s.do(direct, "/admin/permissions", nil, 200)
		s.do(inGroup, "/admin/permissions/"+audit, nil, 200)
		s.do(direct, "/admin/roles", nil, 403)
		s.do(ga, "/admin/permissions", nil, 403)
	})
}

func TestRoleRequirements(t *testing.T) {
	eachPageSite(t, func(t *testing.T, s *pageSite) {
		su := s.visitor(true)
		outside := s.visitor(false, access.RoleGroupAdmin)
		inside := s.visitor(false, access.RoleGroupAdmin, access.RoleSettings)
		s.do(outside, "/admin/roles", nil, 403)
		s.do(outside, "/admin/roles", url.Values{}, 403)

		s.do(su, "/admin/groups", url.Values{"name": {"Admins club"}, "public": {"on"}}, 200)
		club := s.id(`SELECT id FROM groups WHERE name = 'Admins club'`)
		if err := s.groups.Add(s.ctx, groups.Actor{Superuser: true, Name: "test"}, club, inside.account); err != nil {
			t.Fatal(err)
		}
		clubID := strconv.FormatInt(club, 10)
		// Every role a feature declares; statistics waits for its feature.
		if body := s.do(su, "/admin/roles", nil, 200, `id="role-group-admin-`+clubID+`"`, `id="role-settings"`); strings.Contains(body, `id="role-statistics"`) {
			t.Error("the roles page offers statistics, which no feature declares")
		}
		s.do(su, "/admin/roles", url.Values{"role.group-admin": {clubID}}, 200, "The required groups were saved",
			`id="role-group-admin-`+clubID+`" checked`)
		if n := s.id(`SELECT count(*) FROM role_requirements WHERE role = 'group-admin' AND group_id = $1`, club); n != 1 {
			t.Fatalf("role requirements: %d", n)
		}
		// A group deleted meanwhile: refused, nothing changed.
		s.do(su, "/admin/roles", url.Values{"role.group-admin": {clubID, "999999"}, "role.settings": {clubID}}, 422,
			"Group 999999 does not exist (any more).", `id="role-settings-`+clubID+`" checked`)
		if n := s.id(`SELECT count(*) FROM role_requirements`); n != 1 {
			t.Fatalf("a refused form changed the requirements: %d rows", n)
		}

		// After the recomputation, the role holder outside the group lost
		// the role; the one inside kept it, and its other role.
		s.recomputeAll()
		roles := func(v pageVisitor) []string {
			t.Helper()
			rs, err := access.RolesOf(s.ctx, s.site.DB, v.account)
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		if rs := roles(outside); len(rs) != 0 {
			t.Errorf("the account outside the group kept %v", rs)
		}
		if rs := roles(inside); !slices.Equal(rs, []string{access.RoleGroupAdmin, access.RoleSettings}) {
			t.Errorf("the account in the group has %v", rs)
		}
		s.do(outside, "/admin/groups", nil, 403)
		s.do(inside, "/admin/groups", nil, 200)

		// Nothing ticked: no role requires anything.
		s.do(su, "/admin/roles", url.Values{}, 200, "The required groups were saved")
		if n := s.id(`SELECT count(*) FROM role_requirements`); n != 0 {
			t.Fatalf("requirements left: %d", n)
		}
	})
}
