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

// Menu is the menu of one page, by section.
type Menu struct {
	Main, Services, Apps, Admin, User, Icon []MenuEntry
}

func (s *Server) menuFor(r *http.Request, t func(string, ...any) string) Menu {
	var m Menu
	for _, item := range s.menu {
		if !item.Access.allow(s, r) {
			continue
		}
		e := MenuEntry{Label: t(item.Label), Icon: item.Icon, Path: item.Path, Badge: item.Badge,
			Active: r.URL.Path == item.Path || item.Path != "/" && strings.HasPrefix(r.URL.Path, item.Path+"/")}
		switch item.Section {
		case MenuMain:
			m.Main = append(m.Main, e)
		case MenuServices:
			m.Services = append(m.Services, e)
		case MenuApps:
			m.Apps = append(m.Apps, e)
		case MenuAdmin:
			m.Admin = append(m.Admin, e)
		case MenuUser:
			m.User = append(m.User, e)
		case MenuIcon:
			m.Icon = append(m.Icon, e)
		}
	}
	return m
}
