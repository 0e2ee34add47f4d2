package notifications

import (
	"log/slog"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the notifications feature: the member's notifications page
// and the top bar's bell, their settings, the cleanup job, and merging
// two accounts' notifications.
func (s *Store) Feature(logger *slog.Logger) feature.Feature {
	return feature.Feature{
		Name:     "notifications",
		Settings: Settings,
		Routes:   s.Mount,
		Menu: []web.MenuItem{
			{Section: web.MenuIcon, Label: "notifications.nav", Icon: "bell", Path: "/notifications",
				Badge: "/notifications/unread", Access: web.LoggedIn},
			{Section: web.MenuUser, Label: "notifications.nav", Path: "/notifications", Access: web.LoggedIn},
		},
		Jobs:  func(reg *jobs.Registry) { Register(reg, s, logger) },
		Hooks: feature.Hooks{MergeAccounts: s.MergeAccounts},
	}
}
