package timers

import (
	"embed"
	"errors"
	"log/slog"
	"time"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// name is the feature's name, the prefix of its permissions and settings.
const name = "timers"

// The permissions, Alliance Auth's timerboard view_timer, add_timer,
// change_timer and delete_timer. Their names are built from the feature's
// name so that the catalogue's check does not take them for messages.
var (
	PermissionView   = feature.Permission{Name: name + ".view", Label: "timers.permission.view"}
	PermissionAdd    = feature.Permission{Name: name + ".add", Label: "timers.permission.add"}
	PermissionChange = feature.Permission{Name: name + ".change", Label: "timers.permission.change"}
	PermissionDelete = feature.Permission{Name: name + ".delete", Label: "timers.permission.delete"}
)

// Permissions are the feature's, in the order the pages list them.
var Permissions = []feature.Permission{PermissionView, PermissionAdd, PermissionChange, PermissionDelete}

// The settings of the reminders, in their own section.
const settingsSection = "timers.settings.section"

var (
	SettingNotifyMinutes = settings.Definition{Name: name + ".notify_minutes", Section: settingsSection, Kind: settings.KindInt,
		Default: "0", Min: 0, Max: 1440, Label: "timers.settings.notify_minutes", Help: "timers.settings.notify_minutes_help"}
	SettingNotifyService = settings.Definition{Name: name + ".notify_service", Section: settingsSection, Kind: settings.KindText,
		MaxLen: 100, Label: "timers.settings.notify_service", Help: "timers.settings.notify_service_help"}
)

var (
	// pageAccess admits whoever may do anything with timers: one who may
	// add them sees the list they add to.
	pageAccess   = web.Permission(PermissionView.Name, PermissionAdd.Name, PermissionChange.Name, PermissionDelete.Name)
	addAccess    = web.Permission(PermissionAdd.Name)
	changeAccess = web.Permission(PermissionChange.Name)
	deleteAccess = web.Permission(PermissionDelete.Name)
)

// mayView reports whether a member sees timers at all (pageAccess).
func mayView(v *web.Viewer) bool {
	return v != nil && (v.Has(PermissionView.Name) || v.Has(PermissionAdd.Name) || v.Has(PermissionChange.Name) ||
		v.Has(PermissionDelete.Name))
}

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// Timers is the feature.
type Timers struct {
	db            *store.DB
	settings      *settings.Store
	notifications *notifications.Store
	services      *services.Services
	queue         *core.Queue
	logger        *slog.Logger
	now           func() time.Time
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.Services == nil || c.Notifications == nil {
		return feature.Feature{}, errors.New("timers: the services or notifications are not built")
	}
	tm := &Timers{db: c.DB, settings: c.Settings, notifications: c.Notifications, services: c.Services, queue: c.Queue,
		logger: c.Logger, now: time.Now}
	return feature.Feature{
		Name:        name,
		Settings:    []settings.Definition{SettingNotifyMinutes, SettingNotifyService},
		Permissions: Permissions,
		Locales:     Locales,
		Routes:      tm.mount,
		Menu:        []web.MenuItem{{Section: web.MenuApps, Label: "timers.nav", Path: "/timers", Access: pageAccess}},
		Jobs:        tm.register,
		Hooks:       feature.Hooks{MergeAccounts: mergeAccounts},
		Calendar:    tm.calendar,
	}, nil
}
