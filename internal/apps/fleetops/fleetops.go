package fleetops

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
const name = "fleetops"

// The permissions, Alliance Auth's optimer_view and optimer_manage: an
// officer who schedules operations also moves and cancels them, so add,
// change and delete are one right. Their names are built from the
// feature's name so that the catalogue's check does not take them for
// messages.
var (
	PermissionView   = feature.Permission{Name: name + ".view", Label: "fleetops.permission.view"}
	PermissionManage = feature.Permission{Name: name + ".manage", Label: "fleetops.permission.manage"}
)

// Permissions are the feature's.
var Permissions = []feature.Permission{PermissionView, PermissionManage}

// The settings of the reminders, in their own section.
const settingsSection = "fleetops.settings.section"

var (
	SettingNotifyMinutes = settings.Definition{Name: name + ".notify_minutes", Section: settingsSection, Kind: settings.KindInt,
		Default: "0", Min: 0, Max: 1440, Label: "fleetops.settings.notify_minutes", Help: "fleetops.settings.notify_minutes_help"}
	SettingNotifyService = settings.Definition{Name: name + ".notify_service", Section: settingsSection, Kind: settings.KindText,
		MaxLen: 100, Label: "fleetops.settings.notify_service", Help: "fleetops.settings.notify_service_help"}
)

var (
	pageAccess   = web.Permission(PermissionView.Name, PermissionManage.Name)
	manageAccess = web.Permission(PermissionManage.Name)
)

// mayView reports whether a member sees the operations.
func mayView(v *web.Viewer) bool {
	return v != nil && (v.Has(PermissionView.Name) || v.Has(PermissionManage.Name))
}

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// FleetOps is the feature.
type FleetOps struct {
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
		return feature.Feature{}, errors.New("fleetops: the services or notifications are not built")
	}
	f := &FleetOps{db: c.DB, settings: c.Settings, notifications: c.Notifications, services: c.Services, queue: c.Queue,
		logger: c.Logger, now: time.Now}
	return feature.Feature{
		Name:        name,
		Settings:    []settings.Definition{SettingNotifyMinutes, SettingNotifyService},
		Permissions: Permissions,
		Locales:     Locales,
		Routes:      f.mount,
		Menu:        []web.MenuItem{{Section: web.MenuApps, Label: "fleetops.nav", Path: "/fleetops", Access: pageAccess}},
		Jobs:        f.register,
		Hooks:       feature.Hooks{MergeAccounts: mergeAccounts},
		Calendar:    f.calendar,
	}, nil
}
