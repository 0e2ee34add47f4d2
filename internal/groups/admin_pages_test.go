package groups_test

import (
	"context"
	"errors"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// adminSite is a running site with a groups store of the test's own over
// its database, to read back what the administration pages saved.
type adminSite struct {
	t     *testing.T
	ctx   context.Context
	site  *sitetest.Site
	store *groups.Store
	rec   *access.Recomputer
	used  []int32
}

// eachAdminSite runs a scenario on a site of each engine, in parallel.
func eachAdminSite(t *testing.T, fn func(t *testing.T, s *adminSite)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			st := settings.NewStore(site.DB, settings.NewRegistry(groups.Settings, access.Settings), nil, 0)
			fn(t, &adminSite{t: t, ctx: context.Background(), site: site, rec: access.NewRecomputer(site.DB, st, nil),
				store: groups.New(site.DB, groups.Options{Catalogue: access.NewCatalogue(access.Permissions)})})
		})
	}
}

// adminVisitor is a logged-in member.
type adminVisitor struct {
	b         *sitetest.Browser
	character int32
	account   int64
	name      string
	corp      int32
}

// visitor logs in a new member: a superuser when role is "superuser",
// else holding the role given, if any.
func (s *adminSite) visitor(role string) adminVisitor {
	t := s.t
	t.Helper()
	c := s.site.AccountCharacters(t, 1, s.used...)[0]
	s.used = append(s.used, c)
	v := adminVisitor{b: s.site.NewBrowser(t), character: c}
	v.b.LogIn(t, c)
	accs := s.site.Accounts()
	ch, err := accs.Character(s.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.account, v.name, v.corp = ch.AccountID, ch.Name, ch.CorporationID
	switch role {
	case "":
	case "superuser":
		_, _, err = accs.GrantSuperuser(s.ctx, strconv.Itoa(int(c)))
	default:
		err = accs.SetRoles(s.ctx, v.account, []string{role}, false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// adminDo posts a form (GET when form is nil) and checks the status and
// texts of the page it ends on.
func adminDo(t *testing.T, v adminVisitor, path string, form url.Values, status int, contains ...string) string {
	t.Helper()
	return v.b.Expect(t, v.name, path, form, status, contains...)
}

// byName finds a group, failing the test when there is none.
func (s *adminSite) byName(name string) groups.Group {
	s.t.Helper()
	all, err := s.store.List(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, g := range all {
		if g.Name == name {
			return g
		}
	}
	s.t.Fatalf("no group %q", name)
	return groups.Group{}
}

func (s *adminSite) stateID(name string) int64 {
	s.t.Helper()
	var id int64
	if err := s.site.DB.QueryRow(s.ctx, `SELECT id FROM states WHERE name = $1`, name).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// newGroup makes a group through the page.
func (s *adminSite) newGroup(v adminVisitor, form url.Values) groups.Group {
	s.t.Helper()
	adminDo(s.t, v, "/admin/groups", form, 200, "The group "+html.EscapeString(form.Get("name"))+" was created.")
	return s.byName(form.Get("name"))
}

func TestAdminMessagesBuiltFromListsExist(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"groups.admin.field.corporations", "groups.admin.field.alliances", "groups.admin.autogroups.source.name",
		"groups.admin.autogroups.source.ticker", "groups.admin.new_title", "groups.admin.edit_title"}
	for _, f := range []string{"internal", "hidden", "open", "public", "restricted", "default"} {
		ids = append(ids, "groups.admin.flag."+f, "groups.admin.flag_help."+f)
	}
	for _, id := range ids {
		if !c.Has(id) {
			t.Errorf("message %s is not in en.toml", id)
		}
	}
}

func TestAdminCreatesAGroupWithEveryOption(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		su, manager, other := s.visitor("superuser"), s.visitor(""), s.visitor("")
		alpha := s.newGroup(su, url.Values{"name": {"Alpha"}})
		beta := s.newGroup(su, url.Values{"name": {"Beta"}})
		member, blue := s.stateID("Member"), s.stateID("Blue")
		var corpName string
		if err := s.site.DB.QueryRow(s.ctx, `SELECT name FROM eve_corporations WHERE id = $1`, manager.corp).Scan(&corpName); err != nil {
			t.Fatalf("the manager's corporation is not known: %v", err)
		}
		// Corporations and alliances by id or by name: one Keepstar knows,
		// one only ESI knows.
		far, err := s.site.Sim.Universe.Alliance(99000001)
		if err != nil {
			t.Fatal(err)
		}

		form := url.Values{"name": {"Capital Pilots"}, "description": {"Dreads & carriers"},
			"states": {itoa(member), itoa(blue)}, "required": {itoa(alpha.ID)}, "forbidden": {itoa(beta.ID)},
			"manager_groups": {itoa(alpha.ID)}, "corporations": {corpName + ", 98000123"},
			"alliances": {"99000002\n" + far.Name + "\n"}, "managers": {manager.name + "\n" + strconv.Itoa(int(other.character))},
			"permissions": {access.PermissionAudit.Name, access.RequestPermission}}
		for _, f := range []string{"internal", "hidden", "open", "public", "restricted", "default"} {
			form.Set(f, "on")
		}
		g := s.newGroup(su, form)
		want := groups.Group{ID: g.ID, Name: "Capital Pilots", Description: "Dreads & carriers", Internal: true, Hidden: true,
			Open: true, Public: true, Restricted: true, Default: true, AllowedStates: sorted(member, blue),
			Required: []int64{alpha.ID}, Forbidden: []int64{beta.ID}, Corporations: sorted(manager.corp, 98000123),
			Alliances: []int32{99000001, 99000002}, Managers: sorted(manager.account, other.account),
			ManagerGroups: []int64{alpha.ID}, Permissions: []string{access.PermissionAudit.Name, access.RequestPermission}}
		if !sameGroup(g, want) {
			t.Fatalf("stored %+v\nwant %+v", g, want)
		}

		// The form shows it all again, with the names the site knows.
		page := adminDo(t, su, "/admin/groups/"+itoa(g.ID), nil, 200, html.EscapeString(corpName), html.EscapeString(far.Name), html.EscapeString(manager.name),
			html.EscapeString(other.name), `id="flag-restricted" name="restricted" checked`, "Dreads &amp; carriers")
		for _, id := range []string{"state-" + itoa(member), "state-" + itoa(blue), "required-" + itoa(alpha.ID),
			"forbidden-" + itoa(beta.ID), "manager-group-" + itoa(alpha.ID), "permission-" + access.PermissionAudit.Name} {
			if !strings.Contains(page, `id="`+id+`" checked`) {
				t.Errorf("%s is not ticked", id)
			}
		}
		if strings.Contains(page, `id="required-`+itoa(g.ID)+`"`) {
			t.Error("the group is offered as its own requirement")
		}
		// Saved again unchanged, it stays the same.
		adminDo(t, su, "/admin/groups/"+itoa(g.ID), form, 200, "The group Capital Pilots was saved.")
		if again := s.byName("Capital Pilots"); !sameGroup(again, want) {
			t.Fatalf("saved again: %+v", again)
		}

		list := adminDo(t, su, "/admin/groups", nil, 200, `id="group-`+itoa(g.ID)+`"`, `data-flag="restricted"`, `data-flag="default"`,
			"Requires one of: Alpha", "Forbids: Beta", "Mapped to: 2 corporations, 2 alliances")
		if !strings.Contains(list, `id="group-`+itoa(alpha.ID)+`"`) {
			t.Error("Alpha is not listed")
		}
	})
}

func sorted[T int32 | int64](xs ...T) []T {
	slices.Sort(xs)
	return xs
}

func sameGroup(a, b groups.Group) bool {
	a.Members, b.Members = 0, 0
	return a.ID == b.ID && a.Input().Name == b.Name && a.Description == b.Description &&
		a.Internal == b.Internal && a.Hidden == b.Hidden && a.Open == b.Open && a.Public == b.Public &&
		a.Restricted == b.Restricted && a.Default == b.Default &&
		slices.Equal(a.AllowedStates, b.AllowedStates) && slices.Equal(a.Required, b.Required) &&
		slices.Equal(a.Forbidden, b.Forbidden) && slices.Equal(a.Corporations, b.Corporations) &&
		slices.Equal(a.Alliances, b.Alliances) && slices.Equal(a.Managers, b.Managers) &&
		slices.Equal(a.ManagerGroups, b.ManagerGroups) && slices.Equal(a.Permissions, b.Permissions)
}

func TestAdminGroupFormShowsEveryProblem(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		su := s.visitor("superuser")
		alpha := s.newGroup(su, url.Values{"name": {"Alpha"}})
		beta := s.newGroup(su, url.Values{"name": {"Beta"}})
		bad := url.Values{"name": {"  "}, "required": {itoa(alpha.ID), itoa(beta.ID)}, "forbidden": {itoa(beta.ID)},
			"corporations": {"98000001, 12x"}, "managers": {"No Such Pilot Anywhere"}}
		page := adminDo(t, su, "/admin/groups/"+itoa(alpha.ID), bad, 422, `id="problems"`,
			"A name is required.", "A group cannot require, forbid or manage itself.", "Beta is both required and forbidden.",
			"Corporations: no corporation is named “12x”.", "Managers: no character “No Such Pilot Anywhere” has logged in to this site.",
			// Each beside its field, the first of the form focused.
			`required aria-describedby="name-error" aria-invalid="true" autofocus>`,
			`<div class="invalid-feedback d-block" id="name-error">A name is required.</div>`,
			`<div class="invalid-feedback d-block" id="forbidden-error">Beta is both required and forbidden.</div>`,
			`<div class="invalid-feedback d-block" id="corporations-error">Corporations: no corporation is named “12x”. Check the spelling`)
		if n := strings.Count(page, " autofocus"); n != 1 {
			t.Errorf("%d fields focused", n)
		}
		// What was typed is kept.
		for _, typed := range []string{"98000001, 12x</textarea>", "No Such Pilot Anywhere</textarea>", `id="forbidden-` + itoa(beta.ID) + `" checked`} {
			if !strings.Contains(page, typed) {
				t.Errorf("the form lost %q", typed)
			}
		}
		if g := s.byName("Alpha"); len(g.Required) != 0 || len(g.Forbidden) != 0 {
			t.Errorf("a refused form changed the group: %+v", g)
		}
		// A new group: the same problems but the self-requirement.
		delete(bad, "required")
		bad.Set("required", itoa(beta.ID))
		adminDo(t, su, "/admin/groups", bad, 422, "A name is required.", "Beta is both required and forbidden.", "no corporation is named “12x”.")
		adminDo(t, su, "/admin/groups", url.Values{"name": {"x"}, "required": {"999999"}, "states": {"888888"}}, 422,
			"Group 999999 does not exist (any more).", "State 888888 does not exist (any more).")
		adminDo(t, su, "/admin/groups", url.Values{"name": {strings.Repeat("n", 65)}, "permissions": {"no.such"}}, 422,
			"The name has more than 64 characters.", "There is no permission no.such.")

		// Names: taken whatever the case, reserved whatever the case.
		adminDo(t, su, "/admin/groups", url.Values{"name": {"ALPHA"}}, 409, "Another group is named ALPHA already.")
		adminDo(t, su, "/admin/groups/"+itoa(beta.ID), url.Values{"name": {"alpha"}}, 409, "Another group is named alpha already.")
		adminDo(t, su, "/admin/reserved-names", url.Values{"name": {"Directors"}, "reason": {"Discord admins"}}, 200,
			"The name directors is reserved.", `data-reserved="directors"`, "Discord admins")
		adminDo(t, su, "/admin/groups", url.Values{"name": {"DIRECTORS"}}, 409, "The name DIRECTORS is reserved")
		adminDo(t, su, "/admin/groups/"+itoa(beta.ID), url.Values{"name": {"Directors"}}, 409, "The name Directors is reserved")
		adminDo(t, su, "/admin/reserved-names", url.Values{"name": {"directors"}}, 409, "directors is reserved already.")
		adminDo(t, su, "/admin/reserved-names", url.Values{"name": {"alpha"}}, 409, "A group is named alpha")
		adminDo(t, su, "/admin/reserved-names", url.Values{"name": {""}}, 422, "A reserved name has 1 to 64 characters")
		// A name with a slash is freed through its escaped path.
		page = adminDo(t, su, "/admin/reserved-names", url.Values{"name": {"ops/fc"}}, 200, "The name ops/fc is reserved.")
		if !strings.Contains(page, `action="/admin/reserved-names/ops%2ffc/delete"`) && !strings.Contains(page, `action="/admin/reserved-names/ops%2Ffc/delete"`) {
			t.Fatal("the slash of a reserved name is not escaped in its path")
		}
		adminDo(t, su, "/admin/reserved-names/ops%2Ffc/delete", url.Values{}, 200, "The name ops/fc is free again.")
		adminDo(t, su, "/admin/reserved-names/directors/delete", url.Values{}, 200, "The name directors is free again.")
		adminDo(t, su, "/admin/reserved-names/directors/delete", url.Values{}, 404)
		s.newGroup(su, url.Values{"name": {"Directors"}})
	})
}

func TestAdminRestrictedAndPermissionsAreForSuperusers(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		su, ga, member := s.visitor("superuser"), s.visitor(access.RoleGroupAdmin), s.visitor("")
		adminDo(t, member, "/admin/groups", nil, 403)
		secret := s.newGroup(su, url.Values{"name": {"Secret"}, "restricted": {"on"}, "permissions": {access.PermissionAudit.Name}})
		plain := s.newGroup(su, url.Values{"name": {"Plain"}})

		// A group admin sees the restricted group, and may not touch it.
		list := adminDo(t, ga, "/admin/groups", nil, 200, `id="group-`+itoa(secret.ID)+`"`, "Superusers only")
		if strings.Contains(list, `href="/admin/groups/`+itoa(secret.ID)+`"`) {
			t.Error("the restricted group links to its form for a group admin")
		}
		adminDo(t, ga, "/admin/groups/"+itoa(secret.ID), nil, 403, "Secret is restricted")
		adminDo(t, ga, "/admin/groups/"+itoa(secret.ID), url.Values{"name": {"Secret"}}, 403)
		adminDo(t, ga, "/admin/groups/"+itoa(secret.ID)+"/delete", url.Values{"confirm": {"yes"}}, 403)
		adminDo(t, ga, "/admin/groups/"+itoa(secret.ID)+"/delete", nil, 403)

		// Nor set the flag or the permissions: the stored values stay.
		adminDo(t, ga, "/admin/groups/"+itoa(plain.ID), nil, 200, `id="superuser-note"`, `id="flag-restricted" name="restricted" disabled`,
			`id="permission-`+access.RequestPermission+`">`)
		adminDo(t, ga, "/admin/groups/"+itoa(plain.ID), url.Values{"name": {"Plain renamed"}, "restricted": {"on"},
			"permissions": {access.PermissionAudit.Name}}, 200, "The group Plain renamed was saved.")
		if g := s.byName("Plain renamed"); g.Restricted || len(g.Permissions) != 0 {
			t.Errorf("a group admin changed the restricted flag or the permissions: %+v", g)
		}
		mine := s.newGroup(ga, url.Values{"name": {"Mine"}, "restricted": {"on"}, "open": {"on"}, "permissions": {access.PermissionAudit.Name}})
		if mine.Restricted || len(mine.Permissions) != 0 || !mine.Open {
			t.Errorf("a group admin's new group: %+v", mine)
		}

		// A superuser may.
		adminDo(t, su, "/admin/groups/"+itoa(secret.ID), nil, 200, `id="flag-restricted" name="restricted" checked>`)
		adminDo(t, su, "/admin/groups/"+itoa(secret.ID), url.Values{"name": {"Secret"}, "restricted": {"on"}}, 200, "The group Secret was saved.")
		if g := s.byName("Secret"); !g.Restricted || len(g.Permissions) != 0 {
			t.Errorf("the superuser's change: %+v", g)
		}
		adminDo(t, su, "/admin/groups/"+itoa(secret.ID)+"/delete", url.Values{"confirm": {"yes"}}, 200, "The group Secret was deleted.")
		if _, err := s.store.Get(s.ctx, secret.ID); !errors.Is(err, groups.ErrNotFound) {
			t.Fatalf("deleted group: %v", err)
		}
		adminDo(t, su, "/admin/groups/"+itoa(secret.ID)+"/delete", url.Values{"confirm": {"yes"}}, 404)
		adminDo(t, ga, "/admin/groups/"+itoa(mine.ID)+"/delete", url.Values{"confirm": {"yes"}}, 200, "The group Mine was deleted.")
		adminDo(t, ga, "/admin/groups/abc", nil, 404)
	})
}

func TestAdminAutogroups(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		ga, member := s.visitor(access.RoleGroupAdmin), s.visitor("")
		adminDo(t, member, "/admin/autogroups", nil, 403)
		guest, blue := s.stateID("Guest"), s.stateID("Blue")
		adminDo(t, ga, "/admin/autogroups", nil, 200, `id="no-autogroups"`, `value="Corp "`)
		// Each problem beside its field, the first field with one
		// focused: the kinds' first box, a list of checkboxes.
		page := adminDo(t, ga, "/admin/autogroups", url.Values{"states": {itoa(blue)}, "name_source": {"bogus"}, "corporation_prefix": {"Corp "},
			"alliance_prefix": {strings.Repeat("A", 33)}}, 422, `value="Corp "`,
			`<div class="mb-3" role="group" aria-describedby="corporation_groups-error">`,
			`id="corporation_groups" autofocus>`,
			`id="corporation_groups-error">Make corporation groups, alliance groups, or both.</div>`,
			`class="form-control is-invalid" id="alliance_prefix" name="alliance_prefix"`,
			`aria-describedby="fixed-help alliance_prefix-error" aria-invalid="true">`,
			`id="alliance_prefix-error">“Alliance prefix” may have at most 32 characters and no control characters.</div>`,
			`class="form-select is-invalid" id="name_source"`, `id="name_source-error">Choose the name or the ticker.</div>`)
		if strings.Count(page, " autofocus") != 1 || strings.Contains(page, `class="form-control is-invalid" id="corporation_prefix"`) {
			t.Errorf("one field focused, the corporation prefix valid:\n%s", page)
		}
		if i, j := strings.Index(page, "<li>Make corporation"), strings.Index(page, "<li>“Alliance prefix”"); i < 0 || j < i ||
			strings.Index(page, "<li>Choose the name") < j {
			t.Errorf("the summary is not in the form's order:\n%s", page)
		}
		adminDo(t, ga, "/admin/autogroups", url.Values{"states": {itoa(blue)}, "corporation_groups": {"on"}, "corporation_prefix": {"Corp "},
			"alliance_prefix": {"Alliance "}, "name_source": {"ticker"}, "replace_spaces": {"on"}, "replace_with": {"_"}}, 200,
			"The configuration was added")
		cs, err := s.store.AutogroupConfigs(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 {
			t.Fatalf("configurations: %+v", cs)
		}
		c := cs[0]
		if !slices.Equal(c.States, []int64{blue}) || !c.CorporationGroups || c.AllianceGroups || c.CorporationPrefix != "Corp " ||
			c.AlliancePrefix != "Alliance " || c.NameSource != "ticker" || !c.ReplaceSpaces || c.ReplaceWith != "_" {
			t.Fatalf("stored %+v", c)
		}
		path := "/admin/autogroups/" + itoa(c.ID)
		// The problems of a configuration's form are beside its fields,
		// not the new one's.
		page = adminDo(t, ga, path, url.Values{"states": {itoa(guest)}}, 422,
			`id="autogroups-`+itoa(c.ID)+`-corporations" autofocus>`, `id="corporation_groups-error">Make corporation groups, alliance groups, or both.</div>`)
		if strings.Count(page, `id="corporation_groups-error"`) != 1 || strings.Count(page, `id="problems"`) != 1 {
			t.Errorf("the problems are shown twice:\n%s", page)
		}
		adminDo(t, ga, path, url.Values{"states": {itoa(guest), itoa(blue)}, "corporation_groups": {"on"}, "alliance_groups": {"on"}}, 200,
			"Configuration #"+itoa(c.ID)+" was saved.", `id="autogroups-`+itoa(c.ID)+`-state-`+itoa(guest)+`" checked`)
		cs, err = s.store.AutogroupConfigs(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c = cs[0]; !slices.Equal(c.States, sorted(guest, blue)) || !c.CorporationGroups || !c.AllianceGroups || c.CorporationPrefix != "Corp " {
			t.Fatalf("updated %+v", c)
		}
		adminDo(t, ga, "/admin/autogroups/999999", url.Values{"corporation_groups": {"on"}}, 404)

		// Its groups, made by the recomputation: shown, only their
		// description changes, and they go with the configuration.
		if _, err := s.rec.All(s.ctx); err != nil {
			t.Fatal(err)
		}
		var agID int64
		var agName string
		if err := s.site.DB.QueryRow(s.ctx, `SELECT id, name FROM groups WHERE autogroup_config = $1 ORDER BY id LIMIT 1`, c.ID).Scan(&agID, &agName); err != nil {
			t.Fatalf("no autogroup made: %v", err)
		}
		adminDo(t, ga, "/admin/groups", nil, 200, `data-flag="autogroup"`)
		adminDo(t, ga, "/admin/groups/"+itoa(agID), nil, 200, `id="autogroup-note"`, `id="name" name="name" value="`+html.EscapeString(agName)+`" maxlength="64" required disabled`)
		adminDo(t, ga, "/admin/groups/"+itoa(agID), url.Values{"name": {"Hijacked"}, "description": {"Our corporation"}, "public": {"on"}}, 200)
		g, err := s.store.Get(s.ctx, agID)
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != agName || g.Description != "Our corporation" || g.Public {
			t.Errorf("autogroup after an edit: %+v", g)
		}
		adminDo(t, ga, "/admin/groups/"+itoa(agID)+"/delete", url.Values{}, 409, "autogroup configuration")

		adminDo(t, ga, "/admin/groups/"+itoa(agID)+"/delete", nil, 409, "autogroup configuration")

		// Deleted once confirmed, the confirmation counting the groups.
		var made int
		if err := s.site.DB.QueryRow(s.ctx, `SELECT count(*) FROM groups WHERE autogroup_config = $1`, c.ID).Scan(&made); err != nil {
			t.Fatal(err)
		}
		adminDo(t, ga, "/admin/autogroups", nil, 200, `href="`+path+`/delete"`)
		adminDo(t, ga, path+"/delete", nil, 200, itoa(int64(made))+" groups it made are deleted.", "lose one or more of these groups.")
		adminDo(t, ga, path+"/delete", url.Values{}, 400, "Nothing was changed")
		adminDo(t, ga, path+"/delete", url.Values{"confirm": {"yes"}}, 200, "Configuration #"+itoa(c.ID)+" and its groups were deleted.")
		if cs, err = s.store.AutogroupConfigs(s.ctx); err != nil || len(cs) != 0 {
			t.Fatalf("after deletion: %+v, %v", cs, err)
		}
		if _, err := s.store.Get(s.ctx, agID); !errors.Is(err, groups.ErrNotFound) {
			t.Errorf("the autogroup outlived its configuration: %v", err)
		}
		adminDo(t, ga, path+"/delete", url.Values{"confirm": {"yes"}}, 404)
		adminDo(t, ga, path+"/delete", nil, 404)
	})
}

// TestAdminChangeRecomputesInTheBackground: saving a group's rules queues
// a recomputation that the site's own workers run, with nothing else
// asked: a group mapped to a member's corporation comes to the member, and
// goes when the mapping is taken off.
func TestAdminChangeRecomputesInTheBackground(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		su, m := s.visitor("superuser"), s.visitor("")
		g := s.newGroup(su, url.Values{"name": {"Home Corp"}, "corporations": {strconv.Itoa(int(m.corp))}})
		s.waitMembership(m.account, g.ID, true)
		adminDo(t, su, "/admin/groups/"+itoa(g.ID), url.Values{"name": {"Home Corp"}}, 200, "The group Home Corp was saved.")
		s.waitMembership(m.account, g.ID, false)
	})
}

// waitMembership waits until the background recomputation has made the
// account a member of the group (want true) or not, for up to 30 s.
func (s *adminSite) waitMembership(account, group int64, want bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := s.site.DB.QueryRow(s.ctx, `SELECT count(*) FROM group_members WHERE account_id = $1 AND group_id = $2`,
			account, group).Scan(&n); err != nil {
			s.t.Fatal(err)
		}
		if (n == 1) == want {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after 30 s account %d is a member of group %d: %v, want %v", account, group, n == 1, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
