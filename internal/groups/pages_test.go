package groups_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/groups"
)

// Every message the pages build from a list is in the catalogue (the
// app's message test sees only ids written whole).
func TestBuiltMessageIDsExist(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range []access.Refusal{access.RefusedUnknown, access.RefusedInternal, access.RefusedAutomatic, access.RefusedRestricted,
		access.RefusedGrants, access.RefusedRole, access.RefusedState, access.RefusedPermission, access.RefusedRequired,
		access.RefusedForbidden, access.RefusedRules} {
		ids = append(ids, "groups.refusal."+string(r))
	}
	for _, g := range access.Guards {
		ids = append(ids, "groups.locked."+string(g), "groups.admin.locked."+string(g), "groups.admin.error."+string(g))
	}
	for _, k := range []string{"join", "leave", "removed"} {
		ids = append(ids, "groups.kind."+k)
	}
	for _, a := range []string{"accept", "reject", "remove", "auto"} {
		ids = append(ids, "groups.action."+a)
	}
	ids = append(ids, "groups.accepted", "groups.rejected")
	for _, id := range ids {
		if !c.Has(id) {
			t.Errorf("message %s is not in en.toml", id)
		}
	}
}

func TestJoinAndLeaveAnOpenGroup(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		open := e.group(groups.Input{Name: "Mining", Description: "Rocks & ice", Open: true})

		body := get(t, m, "/groups", 200)
		markup, yours := item(body, open)
		if markup == "" || yours || !strings.Contains(markup, `id="join-`+id(open)+`"`) || !strings.Contains(markup, `data-badge="open"`) ||
			!strings.Contains(markup, "Rocks &amp; ice") {
			t.Fatalf("the open group is not offered to join:\n%s", excerpt(body))
		}
		// The page names the member's state (Guest: no state admits the
		// simulated corporations).
		if !strings.Contains(body, `id="state"`) || !strings.Contains(body, "Your state: Guest") {
			t.Errorf("no state on the groups page:\n%s", excerpt(body))
		}

		p := act(t, m, path(open, "/join"), form("back", "/groups"), 200, "You joined Mining.")
		if !strings.HasSuffix(p.URL, "/groups") {
			t.Errorf("join ended at %s", p.URL)
		}
		if !e.isMember(m, open) {
			t.Fatal("not a member after joining an open group")
		}
		if markup, yours := item(p.Body, open); !yours || !strings.Contains(markup, `id="leave-`+id(open)+`"`) {
			t.Fatalf("the joined group is not under your groups with a leave button:\n%s", excerpt(p.Body))
		}
		// Joining again is a conflict, said clearly.
		act(t, m, path(open, "/join"), nil, 409, "You are a member of this group already.")

		// Leaving an open group needs nobody's approval; a back path of
		// another site is ignored.
		p = act(t, m, path(open, "/leave"), form("back", "https://evil.example/"), 200, "You left Mining.")
		if !strings.HasSuffix(p.URL, "/groups") || e.isMember(m, open) {
			t.Fatalf("leave ended at %s, member: %v", p.URL, e.isMember(m, open))
		}
		act(t, m, path(open, "/leave"), nil, 409, "You are not a member of this group.")
		// From the group's own page, back to it.
		p = act(t, m, path(open, "/join"), form("back", path(open)), 200, "You joined Mining.")
		if !strings.HasSuffix(p.URL, path(open)) || !strings.Contains(p.Body, `id="membership"`) {
			t.Errorf("join from the group's page ended at %s", p.URL)
		}
		if n := e.count(`SELECT count(*) FROM group_log WHERE group_id = $1 AND actor_id = $2`, open.ID, m.account); n != 3 {
			t.Errorf("%d log lines by the member, want 3 (join, leave, join)", n)
		}
		// Each change of membership is announced once, for the connectors.
		for kind, want := range map[access.EventKind]int{access.EventGroupAdded: 2, access.EventGroupRemoved: 1} {
			if n := e.count(`SELECT count(*) FROM access_events WHERE account_id = $1 AND group_id = $2 AND kind = $3`,
				m.account, open.ID, string(kind)); n != want {
				t.Errorf("%d %s events, want %d", n, kind, want)
			}
		}
		// Unknown groups.
		get(t, m, "/groups/999999", 404)
		get(t, m, "/groups/nope", 404)
		act(t, m, "/groups/999999/join", nil, 404)
	})
}

func TestRequestAcceptedByManagers(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		boss := e.login()   // a manager of the group
		leader := e.login() // in the group's manager group
		leaders := e.group(groups.Input{Name: "Leaders", Internal: true})
		if err := e.groups.Add(e.ctx, groups.Actor{Superuser: true}, leaders.ID, leader.account); err != nil {
			t.Fatal(err)
		}
		g := e.group(groups.Input{Name: "Capitals", Description: "Dreads and carriers", Managers: []int64{boss.account},
			ManagerGroups: []int64{leaders.ID}})

		body := get(t, m, "/groups", 200)
		if markup, _ := item(body, g); !strings.Contains(markup, `id="join-`+id(g)+`"`) || !strings.Contains(markup, "Request to join") {
			t.Fatalf("no request button:\n%s", markup)
		}
		if strings.Contains(body, `id="manage-link"`) || strings.Contains(body, `href="/groups/manage"`) {
			t.Error("a member who manages nothing is shown the management page")
		}
		p := act(t, m, path(g, "/join"), nil, 200, "Your request to join Capitals was sent to its managers.")
		markup, yours := item(p.Body, g)
		if yours || !strings.Contains(markup, `data-pending="join"`) || !strings.Contains(markup, `id="cancel-`+id(g)+`"`) {
			t.Fatalf("the pending request is not shown with a cancel button:\n%s", markup)
		}
		if e.isMember(m, g) {
			t.Fatal("a member before any decision")
		}
		act(t, m, path(g, "/join"), nil, 409, "already waiting")
		req := e.requestID(m, g, "join")

		// Both managers see it, with the requester's portrait.
		for _, mgr := range []user{boss, leader} {
			if !strings.Contains(get(t, mgr, "/groups", 200), `id="manage-link"`) {
				t.Errorf("%s, a manager, has no link to the management page", mgr.name)
			}
			body := get(t, mgr, "/groups/manage", 200)
			r := rows(body, `data-request-id="`+strconv.FormatInt(req, 10)+`"`)
			if !strings.Contains(body, `id="pending-requests"`) || len(r) != 1 || !strings.Contains(r[0], esc(m.name)) ||
				!strings.Contains(r[0], "/characters/"+strconv.Itoa(int(m.character))+"/portrait?size=32") ||
				!strings.Contains(r[0], `id="accept-`+strconv.FormatInt(req, 10)+`"`) || !strings.Contains(r[0], "Capitals") {
				t.Fatalf("%s does not see the request:\n%s", mgr.name, excerpt(body))
			}
			if !strings.Contains(body, `id="members-`+id(g)+`"`) || !strings.Contains(body, `id="log-`+id(g)+`"`) {
				t.Errorf("%s's managed groups lack the members and log links", mgr.name)
			}
		}
		act(t, leader, "/groups/requests/"+strconv.FormatInt(req, 10)+"/accept", nil, 200, "Accepted: Join Capitals, asked by "+esc(m.name))
		if !e.isMember(m, g) {
			t.Fatal("not a member after the acceptance")
		}
		if _, yours := item(get(t, m, "/groups", 200), g); !yours {
			t.Error("the accepted group is not under your groups")
		}
		if !strings.Contains(get(t, m, "/notifications", 200), "You are now a member of Capitals.") {
			t.Error("the member was not told")
		}
		// The request is answered: a second answer finds nothing.
		act(t, boss, "/groups/requests/"+strconv.FormatInt(req, 10)+"/reject", nil, 404, "no longer waiting")

		// Leaving needs approval (groups.auto_leave is off).
		p = act(t, m, path(g, "/leave"), nil, 200, "Your request to leave Capitals was sent to its managers.")
		if markup, yours := item(p.Body, g); !yours || !strings.Contains(markup, `data-pending="leave"`) {
			t.Fatalf("the pending leave is not shown:\n%s", markup)
		}
		leave := e.requestID(m, g, "leave")
		if r := rows(get(t, boss, "/groups/manage", 200), `data-request-id="`+strconv.FormatInt(leave, 10)+`"`, `data-kind="leave"`); len(r) != 1 {
			t.Fatal("the leave request is not on the management page")
		}
		act(t, boss, "/groups/requests/"+strconv.FormatInt(leave, 10)+"/accept", nil, 200, "Accepted: Leave Capitals")
		if e.isMember(m, g) {
			t.Fatal("still a member after the leave was accepted")
		}
	})
}

func TestRejectNotifiesAndLogs(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		boss := e.login()
		g := e.group(groups.Input{Name: "Recon", Managers: []int64{boss.account}})
		act(t, m, path(g, "/join"), nil, 200, "sent to its managers")
		req := strconv.FormatInt(e.requestID(m, g, "join"), 10)
		act(t, boss, "/groups/requests/"+req+"/reject", nil, 200, "Rejected: Join Recon, asked by "+esc(m.name))
		if e.isMember(m, g) {
			t.Fatal("a member after a rejection")
		}
		if !strings.Contains(get(t, m, "/notifications", 200), "Your request to join Recon was declined.") {
			t.Error("the member was not told of the rejection")
		}
		if markup, _ := item(get(t, m, "/groups", 200), g); strings.Contains(markup, "data-pending") || !strings.Contains(markup, `id="join-`+id(g)+`"`) {
			t.Errorf("after a rejection the member cannot ask again:\n%s", markup)
		}
		log := get(t, boss, path(g, "/log"), 200)
		if r := rows(log, `data-request="join"`, `data-action="reject"`, `data-actor-id="`+strconv.FormatInt(boss.account, 10)+`"`); len(r) != 1 ||
			!strings.Contains(r[0], esc(m.name)) || !strings.Contains(r[0], esc(boss.name)) || !strings.Contains(r[0], "Rejected") {
			t.Fatalf("the rejection is not in the log:\n%s", excerpt(log))
		}
	})
}

func TestLeaveWithoutApprovalAndCancel(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		boss := e.login()
		g := e.group(groups.Input{Name: "Logistics", Managers: []int64{boss.account}})
		other := e.group(groups.Input{Name: "Scouts", Managers: []int64{boss.account}})

		// Cancel a join request: gone, and a second cancel finds nothing.
		act(t, m, path(g, "/join"), nil, 200, "sent to its managers")
		p := act(t, m, path(g, "/cancel"), form("kind", "join"), 200, "Your request for Logistics was withdrawn.")
		if markup, _ := item(p.Body, g); strings.Contains(markup, "data-pending") {
			t.Errorf("still pending after cancelling:\n%s", markup)
		}
		if n := e.count(`SELECT count(*) FROM group_requests WHERE account_id = $1 AND status = 'pending'`, m.account); n != 0 {
			t.Fatalf("%d pending requests after cancelling", n)
		}
		act(t, m, path(g, "/cancel"), form("kind", "join"), 409, "no pending request")
		act(t, m, path(g, "/cancel"), form("kind", "other"), 400, "join or a leave request")
		if body := get(t, boss, "/groups/manage", 200); !strings.Contains(body, `id="no-pending"`) {
			t.Error("the cancelled request is still shown to the manager")
		}

		// Cancel a leave request: still a member.
		if err := e.groups.Add(e.ctx, groups.Actor{AccountID: boss.account, Name: boss.name}, other.ID, m.account); err != nil {
			t.Fatal(err)
		}
		act(t, m, path(other, "/leave"), nil, 200, "Your request to leave Scouts was sent")
		act(t, m, path(other, "/leave"), nil, 409, "already waiting")
		act(t, m, path(other, "/cancel"), form("kind", "leave"), 200, "Your request for Scouts was withdrawn.")
		if !e.isMember(m, other) {
			t.Fatal("cancelling a leave request left the group")
		}

		// With groups.auto_leave, leaving needs no approval.
		e.setting(groups.SettingAutoLeave.Name, "true")
		act(t, m, path(other, "/leave"), nil, 200, "You left Scouts.")
		if e.isMember(m, other) {
			t.Fatal("still a member with auto_leave")
		}
		if n := e.count(`SELECT count(*) FROM group_log WHERE group_id = $1 AND request = 'leave' AND action = 'accept' AND actor_id = $2`,
			other.ID, m.account); n != 1 {
			t.Errorf("%d log lines of the leave", n)
		}
	})
}

func TestRefusalsShowTheirReason(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		plain := e.login() // no request permission
		m := e.member()
		member, err := e.stateID("Member")
		if err != nil {
			t.Fatal(err)
		}
		closed := e.group(groups.Input{Name: "Closed"})
		base := e.group(groups.Input{Name: "Base", Managers: []int64{m.account}})
		needsBase := e.group(groups.Input{Name: "Advanced", Open: true, Required: []int64{base.ID}})
		membersOnly := e.group(groups.Input{Name: "Members only", Open: true, AllowedStates: []int64{member}})
		restricted := e.group(groups.Input{Name: "Restricted", Restricted: true})
		internal := e.group(groups.Input{Name: "Staff", Internal: true})
		hidden := e.group(groups.Input{Name: "Secret", Hidden: true, Open: true})
		mapped := e.group(groups.Input{Name: "Corp", Corporations: []int32{m.corp}})
		def := e.group(groups.Input{Name: "Everyone", Default: true})

		// No request permission.
		if markup, _ := item(get(t, plain, "/groups", 200), closed); !strings.Contains(markup, `data-refusal="permission"`) ||
			!strings.Contains(markup, "You may not request groups.") || strings.Contains(markup, `id="join-`) {
			t.Errorf("the missing permission is not shown:\n%s", markup)
		}
		act(t, plain, path(closed, "/join"), nil, 200, "You cannot join Closed: You may not request groups.")
		if n := e.count(`SELECT count(*) FROM group_requests WHERE account_id = $1`, plain.account); n != 0 {
			t.Error("a refused join left a request")
		}

		body := get(t, m, "/groups", 200)
		for _, c := range []struct {
			g      groups.Group
			reason string
			text   string
		}{
			{needsBase, "required", "Requires membership of another group first."},
			{membersOnly, "state", "Not open to your state."},
			{restricted, "restricted", "Only superusers add members to this group."},
		} {
			markup, _ := item(body, c.g)
			if !strings.Contains(markup, `data-refusal="`+c.reason+`"`) || !strings.Contains(markup, c.text) || strings.Contains(markup, `id="join-`) {
				t.Errorf("%s: the refusal %s is not shown:\n%s", c.g.Name, c.reason, markup)
			}
			// A guarded group's refusal is a 403: no button leads there.
			status := 200
			if c.reason == "restricted" {
				status = 403
			}
			act(t, m, path(c.g, "/join"), nil, status, "You cannot join "+c.g.Name+": "+c.text)
			if e.isMember(m, c.g) {
				t.Errorf("%s: joined despite the refusal", c.g.Name)
			}
		}
		// A required group held opens the way.
		if err := e.groups.Add(e.ctx, groups.Actor{AccountID: m.account, Name: m.name}, base.ID, m.account); err != nil {
			t.Fatal(err)
		}
		act(t, m, path(needsBase, "/join"), nil, 200, "You joined Advanced.")

		// Internal groups are neither listed nor found; hidden ones only by
		// their link.
		if markup, _ := item(body, internal); markup != "" {
			t.Error("an internal group is listed")
		}
		get(t, m, path(internal), 404)
		act(t, m, path(internal, "/join"), nil, 404, "no such group")
		if markup, _ := item(body, hidden); markup != "" {
			t.Error("a hidden group is listed")
		}
		page := get(t, m, path(hidden), 200)
		if !strings.Contains(page, `id="join-`+id(hidden)+`"`) || !strings.Contains(page, `data-badge="hidden"`) {
			t.Fatalf("the hidden group's page has no join button:\n%s", excerpt(page))
		}
		act(t, m, path(hidden, "/join"), form("back", path(hidden)), 200, "You joined Secret.")
		if markup, yours := item(get(t, m, "/groups", 200), hidden); !yours || markup == "" {
			t.Error("a hidden group joined is not under your groups")
		}

		// Automatic and default groups: in them, and they cannot be left.
		body = get(t, m, "/groups", 200)
		for _, c := range []struct {
			g     groups.Group
			badge string
		}{{mapped, "automatic"}, {def, "default"}} {
			markup, yours := item(body, c.g)
			if !yours || !strings.Contains(markup, `data-badge="`+c.badge+`"`) || strings.Contains(markup, `id="leave-`) {
				t.Errorf("%s is not shown as %s without a leave button:\n%s", c.g.Name, c.badge, markup)
			}
			act(t, m, path(c.g, "/leave"), nil, 403, "This group cannot be left")
			if !e.isMember(m, c.g) {
				t.Errorf("left %s", c.g.Name)
			}
		}
		// Others see the mapped group as automatic.
		if markup, _ := item(get(t, plain, "/groups", 200), mapped); plain.corp != m.corp && !strings.Contains(markup, `data-refusal="automatic"`) {
			t.Errorf("the mapped group is not shown as automatic to others:\n%s", markup)
		}
	})
}

func (e *env) stateID(name string) (int64, error) {
	var id int64
	err := e.site.DB.QueryRow(e.ctx, `SELECT id FROM states WHERE name = $1`, name).Scan(&id)
	return id, err
}

func TestManagementIsForManagers(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		outsider := e.member()
		boss := e.login()
		g := e.group(groups.Input{Name: "Fleet", Managers: []int64{boss.account}})
		notBoss := e.group(groups.Input{Name: "Industry"})
		locked := e.group(groups.Input{Name: "Directors", Restricted: true, Managers: []int64{boss.account}})
		act(t, m, path(g, "/join"), nil, 200, "sent to its managers")
		act(t, m, path(notBoss, "/join"), nil, 200, "sent to its managers")
		if err := e.groups.Add(e.ctx, groups.Actor{Superuser: true, Name: "root"}, locked.ID, m.account); err != nil {
			t.Fatal(err)
		}
		req := strconv.FormatInt(e.requestID(m, g, "join"), 10)
		other := strconv.FormatInt(e.requestID(m, notBoss, "join"), 10)

		// Who manages nothing is refused every management route.
		if body := get(t, outsider, "/groups", 200); strings.Contains(body, `href="/groups/manage"`) {
			t.Error("the menu or the page links a non-manager to group management")
		}
		for _, to := range []string{"/groups/manage", path(g, "/members"), path(g, "/log"), "/groups/999999/members"} {
			get(t, outsider, to, 403)
		}
		for _, to := range []string{"/groups/requests/" + req + "/accept", "/groups/requests/" + req + "/reject",
			path(g, "/members/", strconv.FormatInt(m.account, 10), "/remove"), path(locked, "/members/", strconv.FormatInt(m.account, 10), "/remove")} {
			act(t, outsider, to, nil, 403)
		}
		act(t, outsider, path(g, "/members/add"), form("character", m.name), 403)
		if e.requestID(m, g, "join") == 0 || e.isMember(m, g) || !e.isMember(m, locked) {
			t.Fatal("a non-manager changed something")
		}

		// A manager manages their groups only.
		body := get(t, boss, "/groups/manage", 200)
		if len(rows(body, `data-request-id="`+other+`"`)) != 0 {
			t.Error("a manager sees the requests of a group they do not manage")
		}
		if !strings.Contains(body, `id="members-`+id(g)+`"`) || strings.Contains(body, `id="members-`+id(notBoss)+`"`) {
			t.Errorf("the managed groups are wrong:\n%s", excerpt(body))
		}
		act(t, boss, "/groups/requests/"+other+"/accept", nil, 403, "You do not manage this group.")
		get(t, boss, path(notBoss, "/members"), 403)
		get(t, boss, path(notBoss, "/log"), 403)
		act(t, boss, path(notBoss, "/members/add"), form("character", m.name), 403)
		get(t, boss, "/groups/999999/members", 404)

		// A restricted group's members are changed by superusers only.
		members := get(t, boss, path(locked, "/members"), 200)
		if !strings.Contains(members, `id="locked-note" data-guard="restricted"`) || strings.Contains(members, `id="remove-`) || strings.Contains(members, `id="add-member"`) {
			t.Errorf("a restricted group's members page offers changes:\n%s", excerpt(members))
		}
		act(t, boss, path(locked, "/members/", strconv.FormatInt(m.account, 10), "/remove"), nil, 403, "only superusers")
		if !e.isMember(m, locked) {
			t.Fatal("a manager removed a member of a restricted group")
		}

		// Superusers manage every group, from the menu.
		root := e.login()
		if _, _, err := e.site.Accounts().GrantSuperuser(e.ctx, strconv.Itoa(int(root.character))); err != nil {
			t.Fatal(err)
		}
		if body := get(t, root, "/groups", 200); !strings.Contains(body, `href="/groups/manage">Group management</a>`) {
			t.Errorf("no group management entry in a superuser's menu:\n%s", body[:min(len(body), 3000)])
		}
		if body := get(t, boss, "/groups", 200); !strings.Contains(body, `href="/groups/manage">Group management</a>`) ||
			!strings.Contains(body, `id="manage-link"`) {
			t.Error("a manager of some groups reaches the management page from the menu and from the groups page")
		}
		act(t, root, "/groups/requests/"+other+"/accept", nil, 200, "Accepted: Join Industry")
		act(t, root, path(locked, "/members/", strconv.FormatInt(m.account, 10), "/remove"), nil, 200, "was removed from Directors.")
		if !e.isMember(m, notBoss) || e.isMember(m, locked) {
			t.Fatal("a superuser's decisions were not applied")
		}
	})
}

func TestMembersAddRemoveAndLog(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		m := e.member()
		boss := e.login()
		g := e.group(groups.Input{Name: "Pilots", Managers: []int64{boss.account}})
		mapped := e.group(groups.Input{Name: "Home corp", Corporations: []int32{m.corp}, Managers: []int64{boss.account}})
		bossID := `data-actor-id="` + strconv.FormatInt(boss.account, 10) + `"`

		// Rejected, then accepted, then left with approval.
		act(t, m, path(g, "/join"), nil, 200, "sent")
		act(t, boss, "/groups/requests/"+strconv.FormatInt(e.requestID(m, g, "join"), 10)+"/reject", nil, 200, "Rejected")
		act(t, m, path(g, "/join"), nil, 200, "sent")
		act(t, boss, "/groups/requests/"+strconv.FormatInt(e.requestID(m, g, "join"), 10)+"/accept", nil, 200, "Accepted")
		act(t, m, path(g, "/leave"), nil, 200, "sent")
		act(t, boss, "/groups/requests/"+strconv.FormatInt(e.requestID(m, g, "leave"), 10)+"/accept", nil, 200, "Accepted")

		// Added by a character's name, whatever its case.
		page := get(t, boss, path(g, "/members"), 200)
		if !strings.Contains(page, `id="add-member"`) || !strings.Contains(page, `id="no-members"`) {
			t.Fatalf("members page:\n%s", excerpt(page))
		}
		p := act(t, boss, path(g, "/members/add"), form("character", strings.ToUpper(m.name)), 200,
			"The account of "+esc(m.name)+" is now a member of Pilots.")
		if !e.isMember(m, g) || len(rows(p.Body, `data-account-id="`+strconv.FormatInt(m.account, 10)+`"`)) != 1 ||
			!strings.Contains(p.Body, `id="remove-`+strconv.FormatInt(m.account, 10)+`"`) {
			t.Fatalf("not added:\n%s", excerpt(p.Body))
		}
		// Mistakes are said clearly, with what was typed.
		act(t, boss, path(g, "/members/add"), form("character", strconv.Itoa(int(m.character))), 409, "is a member already")
		act(t, boss, path(g, "/members/add"), form("character", "Nobody Atall"), 404, "No character named or numbered", `value="Nobody Atall"`)
		act(t, boss, path(g, "/members/add"), form("character", "  "), 400, "Type the name or the id")
		act(t, boss, path(g, "/members/add"), form("character", "123"), 404, "No character named or numbered")

		// Removed.
		act(t, boss, path(g, "/members/", strconv.FormatInt(m.account, 10), "/remove"), nil, 200, esc(m.name)+" was removed from Pilots.")
		if e.isMember(m, g) {
			t.Fatal("still a member after the removal")
		}
		act(t, boss, path(g, "/members/", strconv.FormatInt(m.account, 10), "/remove"), nil, 404, "not a member of the group")

		// The log, newest first, with who did what.
		log := get(t, boss, path(g, "/log"), 200)
		for _, c := range []struct{ request, action, by string }{
			{"join", "reject", bossID}, {"join", "accept", bossID}, {"leave", "accept", bossID}, {"removed", "remove", bossID},
		} {
			if len(rows(log, `data-request="`+c.request+`"`, `data-action="`+c.action+`"`, c.by)) == 0 {
				t.Errorf("no log line %s/%s by the manager", c.request, c.action)
			}
		}
		if r := rows(log, `data-account-id="`+strconv.FormatInt(m.account, 10)+`"`); len(r) != 5 || !strings.Contains(r[0], `data-request="removed"`) ||
			!strings.Contains(r[0], esc(boss.name)) || !strings.Contains(r[0], "Removed by a manager") {
			t.Errorf("the log has %d lines of the member, the newest first:\n%s", len(r), excerpt(log))
		}
		// A member's own join of an open group is theirs in the log.
		open := e.group(groups.Input{Name: "Open house", Open: true, Managers: []int64{boss.account}})
		act(t, m, path(open, "/join"), nil, 200, "You joined")
		if r := rows(get(t, boss, path(open, "/log"), 200), `data-request="join"`, `data-action="accept"`,
			`data-actor-id="`+strconv.FormatInt(m.account, 10)+`"`); len(r) != 1 {
			t.Error("the member's own join is not in the log")
		}

		// Automatic groups: nobody is added or removed by hand.
		page = get(t, boss, path(mapped, "/members"), 200)
		if !strings.Contains(page, `id="automatic-note"`) || strings.Contains(page, `id="remove-`) || strings.Contains(page, `id="add-member"`) ||
			len(rows(page, `data-account-id="`+strconv.FormatInt(m.account, 10)+`"`)) != 1 {
			t.Errorf("the automatic group's members page:\n%s", excerpt(page))
		}
		act(t, boss, path(mapped, "/members/", strconv.FormatInt(m.account, 10), "/remove"), nil, 409, "members cannot be removed by hand")
		if !e.isMember(m, mapped) {
			t.Fatal("removed from an automatic group")
		}
	})
}
