package groups_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
)

// The escalation paths of issue 12: a group admin or a group's manager
// putting themselves (or their corporation, or everyone through default)
// into a group that grants permissions, or that a role requires. Each is
// refused through the pages, with a 403 saying why, and in the store.

// role gives a logged-in member a role.
func (e *env) role(u user, role string) {
	e.t.Helper()
	if err := e.site.Accounts().SetRoles(e.ctx, u.account, []string{role}, false); err != nil {
		e.t.Fatal(err)
	}
}

// superuser makes a logged-in member a superuser.
func (e *env) superuser(u user) {
	e.t.Helper()
	if _, _, err := e.site.Accounts().GrantSuperuser(e.ctx, strconv.Itoa(int(u.character))); err != nil {
		e.t.Fatal(err)
	}
}

// requiredBy makes a role require a group, as the superusers' roles page
// does.
func (e *env) requiredBy(g groups.Group, role string) {
	e.t.Helper()
	if _, err := e.site.DB.Exec(e.ctx, `INSERT INTO role_requirements (role, group_id) VALUES ($1, $2)`, role, g.ID); err != nil {
		e.t.Fatal(err)
	}
}

// permissionsOf gives an account's effective permissions.
func (e *env) permissionsOf(u user) []string {
	e.t.Helper()
	p, err := access.PermissionsOf(e.ctx, e.site.DB, u.account)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// refusedAs checks that err is a store's refusal of a guarded group, for
// the reason want.
func refusedAs(t *testing.T, what string, err error, want access.Guard) {
	t.Helper()
	if !errors.Is(err, groups.ErrSuperuserOnly) || groups.GuardOf(err) != want {
		t.Errorf("%s: %v (guard %q), want a refusal for %q", what, err, groups.GuardOf(err), want)
	}
}

func TestGroupAdminCannotChangeAGuardedGroup(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ga, manager := e.login(), e.member()
		e.role(ga, access.RoleGroupAdmin)
		grants := e.group(groups.Input{Name: "Auditors", Permissions: []string{access.PermissionAudit.Name}, Managers: []int64{manager.account}})
		required := e.group(groups.Input{Name: "User admins", Managers: []int64{manager.account}})
		e.requiredBy(required, access.RoleUserAdmin)
		plain := e.group(groups.Input{Name: "Plain"})

		list := get(t, ga, "/admin/groups", 200)
		for _, c := range []struct {
			g     groups.Group
			guard access.Guard
			why   string
		}{
			{grants, access.GuardGrants, "Auditors grants permissions: only superusers change it."},
			{required, access.GuardRole, "A role requires User admins: only superusers change it."},
		} {
			row := rows(list, `id="group-`+id(c.g)+`"`)
			if len(row) != 1 || !strings.Contains(row[0], `data-guard="`+string(c.guard)+`"`) || strings.Contains(row[0], `href="/admin/groups/`+id(c.g)+`"`) {
				t.Errorf("%s: the groups list offers it to a group admin, or does not say why not:\n%v", c.g.Name, row)
			}
			base := "/admin/groups/" + id(c.g)
			ga.b.Expect(t, "group admin", base, nil, 403, c.why)
			// Flags, mappings, default, managers: the group admin, their
			// corporation, or everyone.
			ga.b.Expect(t, "group admin", base, form("name", c.g.Name, "default", "on", "open", "on", "public", "on",
				"corporations", strconv.Itoa(int(ga.corp)), "managers", ga.name), 403, c.why)
			ga.b.Expect(t, "group admin", base+"/delete", form(), 403, c.why)
			got, err := e.groups.Get(e.ctx, c.g.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Default || got.Open || got.Public || len(got.Corporations) != 0 || !slices.Equal(got.Managers, []int64{manager.account}) {
				t.Errorf("%s changed by a group admin: %+v", c.g.Name, got)
			}

			// The store refuses on its own, whoever builds the input.
			a := groups.Actor{AccountID: ga.account, Name: ga.name, ManageAll: true}
			in := got.Input()
			in.Default, in.Managers = true, append(in.Managers, ga.account)
			_, err = e.groups.UpdateAs(e.ctx, a, c.g.ID, in)
			refusedAs(t, c.g.Name+": UpdateAs", err, c.guard)
			refusedAs(t, c.g.Name+": DeleteAs", e.groups.DeleteAs(e.ctx, a, c.g.ID), c.guard)
			if _, err := e.groups.UpdateAs(e.ctx, groups.Actor{Superuser: true}, c.g.ID, got.Input()); err != nil {
				t.Errorf("%s: a superuser's change: %v", c.g.Name, err)
			}
		}

		// Nor may a group admin give a group permissions: the form keeps
		// none, the store refuses.
		ga.b.Expect(t, "group admin", "/admin/groups/"+id(plain), form("name", "Plain", "permissions", access.PermissionManageGroups.Name),
			200, "The group Plain was saved.")
		ga.b.Expect(t, "group admin", "/admin/groups", form("name", "Mine", "permissions", access.PermissionManageGroups.Name),
			200, "The group Mine was created.")
		for _, name := range []string{"Plain", "Mine"} {
			all, err := e.groups.List(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range all {
				if g.Name == name && len(g.Permissions) != 0 {
					t.Errorf("a group admin gave %s permissions: %v", name, g.Permissions)
				}
			}
		}
		a := groups.Actor{AccountID: ga.account, Name: ga.name}
		_, err := e.groups.UpdateAs(e.ctx, a, plain.ID, groups.Input{Name: "Plain", Permissions: []string{access.PermissionManageGroups.Name}})
		refusedAs(t, "UpdateAs giving permissions", err, access.GuardGrants)
		_, err = e.groups.CreateAs(e.ctx, a, groups.Input{Name: "Sneaky", Default: true, Permissions: []string{access.PermissionAudit.Name}})
		refusedAs(t, "CreateAs with permissions", err, access.GuardGrants)
		_, err = e.groups.CreateAs(e.ctx, a, groups.Input{Name: "Sneaky", Restricted: true})
		refusedAs(t, "CreateAs restricted", err, access.GuardRestricted)

		e.recompute(ga.account)
		if p := e.permissionsOf(ga); slices.Contains(p, access.PermissionAudit.Name) || slices.Contains(p, access.PermissionManageGroups.Name) {
			t.Errorf("the group admin gained %v", p)
		}
	})
}

// A group that gains permissions after it has managers and pending
// requests is, from then on, changed by superusers only: managers neither
// accept their own request nor add members, themselves included.
func TestManagersCannotFillAGuardedGroup(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		boss, x := e.member(), e.member()
		g := e.group(groups.Input{Name: "Fleet Command", Managers: []int64{boss.account}})
		act(t, boss, path(g, "/join"), nil, 200)
		act(t, x, path(g, "/join"), nil, 200)
		mine, theirs := e.requestID(boss, g, "join"), e.requestID(x, g, "join")

		in := g.Input()
		in.Permissions = []string{access.PermissionManageGroups.Name}
		if _, err := e.groups.Update(e.ctx, g.ID, in); err != nil {
			t.Fatal(err)
		}
		role := e.group(groups.Input{Name: "Roles group", Managers: []int64{boss.account}})
		e.requiredBy(role, access.RoleUserAdmin)

		why := "This group grants permissions: only superusers change its members."
		body := get(t, boss, "/groups/manage", 200)
		for _, req := range []int64{mine, theirs} {
			row := rows(body, `data-request-id="`+strconv.FormatInt(req, 10)+`"`)
			if len(row) != 1 || !strings.Contains(row[0], `data-guard="permissions"`) || strings.Contains(row[0], `id="accept-`) {
				t.Errorf("request %d is offered to the manager, or the page does not say why not:\n%v", req, row)
			}
			act(t, boss, "/groups/requests/"+strconv.FormatInt(req, 10)+"/accept", nil, 403, why)
			act(t, boss, "/groups/requests/"+strconv.FormatInt(req, 10)+"/reject", nil, 403, why)
		}
		act(t, boss, path(g, "/members/add"), form("character", boss.name), 403, why)
		act(t, boss, path(g, "/members/add"), form("character", x.name), 403, why)
		members := get(t, boss, path(g, "/members"), 200)
		if !strings.Contains(members, `id="locked-note" data-guard="permissions"`) || !strings.Contains(members, why) ||
			strings.Contains(members, `id="add-member"`) {
			t.Errorf("the members page offers changes, or does not say why not:\n%s", excerpt(members))
		}
		act(t, boss, path(role, "/members/add"), form("character", boss.name), 403,
			"A role requires this group: only superusers change its members.")

		// The store refuses on its own, also to holders of groups.manage_all.
		for _, a := range []groups.Actor{{AccountID: boss.account, Name: boss.name}, {AccountID: boss.account, Name: boss.name, ManageAll: true}} {
			refusedAs(t, "Add", e.groups.Add(e.ctx, a, g.ID, boss.account), access.GuardGrants)
			refusedAs(t, "Decide", e.groups.Decide(e.ctx, a, mine, true), access.GuardGrants)
			refusedAs(t, "Add to the role's group", e.groups.Add(e.ctx, a, role.ID, boss.account), access.GuardRole)
		}
		if e.isMember(boss, g) || e.isMember(x, g) || e.isMember(boss, role) {
			t.Fatal("a manager put someone in a guarded group")
		}
		e.recompute(boss.account)
		if slices.Contains(e.permissionsOf(boss), access.PermissionManageGroups.Name) {
			t.Error("the manager gained groups.manage_all")
		}

		// A superuser decides.
		root := e.login()
		e.superuser(root)
		act(t, root, "/groups/requests/"+strconv.FormatInt(theirs, 10)+"/accept", nil, 200)
		if !e.isMember(x, g) {
			t.Error("a superuser's acceptance was not applied")
		}
	})
}

// An open group that grants permissions, or that a role requires, is not
// joined by members: the page says why, a forged form gets a 403.
func TestGuardedOpenGroupsAreNotJoinable(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		grants := e.group(groups.Input{Name: "Open auditors", Open: true, Permissions: []string{access.PermissionAudit.Name}})
		role := e.group(groups.Input{Name: "Open user admins", Open: true})
		e.requiredBy(role, access.RoleUserAdmin)

		body := get(t, m, "/groups", 200)
		for _, c := range []struct {
			g       groups.Group
			refusal access.Refusal
			text    string
		}{
			{grants, access.RefusedGrants, "This group grants permissions: only superusers add members to it."},
			{role, access.RefusedRole, "A role requires this group: only superusers add members to it."},
		} {
			markup, _ := item(body, c.g)
			if !strings.Contains(markup, `data-refusal="`+string(c.refusal)+`"`) || !strings.Contains(markup, c.text) || strings.Contains(markup, `id="join-`) {
				t.Errorf("%s: offered to join, or the refusal is not shown:\n%s", c.g.Name, markup)
			}
			act(t, m, path(c.g, "/join"), nil, 403, "You cannot join "+c.g.Name+": "+c.text)
			_, err := e.groups.Join(e.ctx, groups.Actor{AccountID: m.account, Name: m.name}, c.g.ID)
			var refused *groups.RefusalError
			if !errors.As(err, &refused) || refused.Reason != c.refusal {
				t.Errorf("%s: Join: %v", c.g.Name, err)
			}
			if e.isMember(m, c.g) {
				t.Errorf("%s: joined", c.g.Name)
			}
		}
		if slices.Contains(e.permissionsOf(m), access.PermissionAudit.Name) {
			t.Error("the member gained access.audit")
		}
	})
}
