package web

import (
	"net/http"
	"strings"
)

// MenuSection is where a menu entry shows. Within a section, entries show
// in the order they were added: the order the composition root lists the
// features in, then each feature's own order.
type MenuSection string

const (
	// MenuMain entries are the top bar's links.
	MenuMain MenuSection = "main"
	// MenuServices entries are in the top bar's Services menu: the
	// external services members link their accounts to.
	MenuServices MenuSection = "services"
	// MenuApps entries are in the top bar's Apps menu: the apps members
	// work with (timers, fleets, ship replacement...).
	MenuApps MenuSection = "apps"
	// MenuAdmin entries are in the top bar's Administration menu.
	MenuAdmin MenuSection = "admin"
	// MenuUser entries are in the member's own menu, beside the logout.
	MenuUser MenuSection = "user"
	// MenuIcon entries stay visible on a phone's collapsed top bar; their
	// Badge shows a count.
	MenuIcon MenuSection = "icon"
)

// MenuItem is one entry a feature adds to the menu. It shows only to those
// its Access admits.
type MenuItem struct {
	Section MenuSection
	// Label is a message id; Icon names an icon the layout draws ("bell"),
	// for MenuIcon entries.
	Label string
	Icon  string
	Path  string
	// Badge is the URL of an htmx fragment showing a count (unread
	// notifications); the fragment refreshes itself.
	Badge  string
	Access Access
}

// AddMenu adds an entry at the end of its section. The composition root
// adds every feature's entries, in the order of the features.
func (s *Server) AddMenu(item MenuItem) {
	if item.Access.allow == nil {
		panic("web: menu entry " + item.Label + " has no access rule")
	}
	switch item.Section {
	case MenuMain, MenuServices, MenuApps, MenuAdmin, MenuUser, MenuIcon:
	default:
		panic("web: menu entry " + item.Label + " has no known section")
	}
	s.menu = append(s.menu, item)
}

// MenuEntry is a menu item as a page shows it.
type MenuEntry struct {
	Label  string
	Icon   string
	Path   string
	Badge  string
	Active bool
}

// Menu is the menu of one page, by section. At most one entry is Active:
// the one whose path is the longest match of the page's (Group management's
// /groups/manage, not Groups' /groups, on the management page). The
// sections' ...Active say which drop-down holds it, so the top bar
// highlights the drop-down too; AdminActive is also set on every page under
// /admin/, as the administration's pages not in the menu (autogroups,
// reserved names) are its pages too.
type Menu struct {
	Main, Services, Apps, Admin, User, Icon []MenuEntry

	ServicesActive, AppsActive, AdminActive, UserActive bool
}

func (s *Server) menuFor(r *http.Request, t func(string, ...any) string) Menu {
	return buildMenu(s.menu, r.URL.Path, func(item MenuItem) bool { return item.Access.allow(s, r) }, t)
}

// matches tells whether an entry's path is the page's or one of its
// parents: /groups for /groups/12, never / for anything but itself.
func matches(entry, page string) bool {
	return page == entry || entry != "/" && strings.HasPrefix(page, strings.TrimSuffix(entry, "/")+"/")
}

// buildMenu lays out the entries allowed for a page at path, translating
// their labels with t.
func buildMenu(items []MenuItem, path string, allowed func(MenuItem) bool, t func(string, ...any) string) Menu {
	var m Menu
	active := -1 // the entry of the longest path matching the page's
	shown := make([]MenuItem, 0, len(items))
	for _, item := range items {
		if !allowed(item) {
			continue
		}
		if matches(item.Path, path) && (active < 0 || len(item.Path) > len(shown[active].Path)) {
			active = len(shown)
		}
		shown = append(shown, item)
	}
	for i, item := range shown {
		e := MenuEntry{Label: t(item.Label), Icon: item.Icon, Path: item.Path, Badge: item.Badge, Active: i == active}
		switch item.Section {
		case MenuMain:
			m.Main = append(m.Main, e)
		case MenuServices:
			m.Services = append(m.Services, e)
			m.ServicesActive = m.ServicesActive || e.Active
		case MenuApps:
			m.Apps = append(m.Apps, e)
			m.AppsActive = m.AppsActive || e.Active
		case MenuAdmin:
			m.Admin = append(m.Admin, e)
			m.AdminActive = m.AdminActive || e.Active
		case MenuUser:
			m.User = append(m.User, e)
			m.UserActive = m.UserActive || e.Active
		case MenuIcon:
			m.Icon = append(m.Icon, e)
		}
	}
	if len(m.Admin) > 0 && matches("/admin/", path) {
		m.AdminActive = true
	}
	return m
}
