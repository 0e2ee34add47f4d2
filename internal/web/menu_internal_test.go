package web

import (
	"fmt"
	"net/http"
	"testing"
)

// TestMenuHighlightsOnlyTheLongestMatch checks that a page highlights one
// entry at most, the one whose path is the longest that is the page's or a
// parent of it, and the drop-down that holds it; Administration is
// highlighted on every page under /admin/.
func TestMenuHighlightsOnlyTheLongestMatch(t *testing.T) {
	everyone := Access{name: "test", allow: func(*Server, *http.Request) bool { return true }}
	items := []MenuItem{
		{Section: MenuMain, Label: "home", Path: "/"},
		{Section: MenuMain, Label: "dashboard", Path: "/dashboard"},
		{Section: MenuMain, Label: "groups", Path: "/groups"},
		{Section: MenuMain, Label: "manage", Path: "/groups/manage"},
		{Section: MenuApps, Label: "apps", Path: "/apps"},
		{Section: MenuAdmin, Label: "admin-groups", Path: "/admin/groups"},
		{Section: MenuAdmin, Label: "admin-states", Path: "/admin/states"},
		{Section: MenuUser, Label: "profile", Path: "/profile"},
		{Section: MenuIcon, Label: "bell", Path: "/notifications", Icon: "bell"},
		{Section: MenuAdmin, Label: "hidden", Path: "/admin/hidden", Access: Access{name: "no one"}},
	}
	for i := range items {
		if items[i].Access.allow == nil && items[i].Access.name == "" {
			items[i].Access = everyone
		}
	}
	allowed := func(item MenuItem) bool { return item.Access.allow != nil }
	label := func(id string, _ ...any) string { return id }
	for _, c := range []struct {
		path, active string // active: the label of the highlighted entry, "" for none
		admin, apps  bool
	}{
		{path: "/", active: "home"},
		{path: "/dashboard", active: "dashboard"},
		{path: "/dashboardx", active: ""},
		{path: "/groups", active: "groups"},
		{path: "/groups/12", active: "groups"},
		{path: "/groups/manage", active: "manage"},
		{path: "/groups/manage/", active: "manage"},
		{path: "/apps", active: "apps", apps: true},
		{path: "/admin/groups", active: "admin-groups", admin: true},
		{path: "/admin/groups/7", active: "admin-groups", admin: true},
		{path: "/admin/states/new", active: "admin-states", admin: true},
		// An administration page not in the menu: the drop-down only.
		{path: "/admin/autogroups", active: "", admin: true},
		{path: "/admin/hidden", active: "", admin: true},
		{path: "/profile", active: "profile"},
		{path: "/notifications", active: "bell"},
		{path: "/nowhere", active: ""},
	} {
		t.Run(c.path, func(t *testing.T) {
			m := buildMenu(items, c.path, allowed, label)
			var got []string
			for _, section := range [][]MenuEntry{m.Main, m.Services, m.Apps, m.Admin, m.User, m.Icon} {
				for _, e := range section {
					if e.Active {
						got = append(got, e.Label)
					}
				}
			}
			want := []string{}
			if c.active != "" {
				want = append(want, c.active)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("highlighted %v, want %v", got, want)
			}
			if m.AdminActive != c.admin || m.AppsActive != c.apps || m.ServicesActive {
				t.Errorf("drop-downs highlighted: admin %v, apps %v, services %v; want admin %v, apps %v",
					m.AdminActive, m.AppsActive, m.ServicesActive, c.admin, c.apps)
			}
			for _, e := range m.Admin {
				if e.Label == "hidden" {
					t.Error("an entry its access refuses is shown")
				}
			}
		})
	}
	// Without the administration menu (a member), /admin/ pages
	// highlight nothing.
	if m := buildMenu(items[:5], "/admin/groups", allowed, label); m.AdminActive {
		t.Error("Administration highlighted for a member who has no such menu")
	}
}
