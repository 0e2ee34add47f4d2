package fat

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// name is the feature's name, the prefix of its permissions and settings:
// built so that the catalogue's check, which takes every quoted "fat.…" for
// a message id, does not take them for messages.
const name = "fat"

// The permissions, Alliance Auth's auth.fleetactivitytracking and
// auth.fleetactivitytracking_statistics.
var (
	PermissionManage     = feature.Permission{Name: name + ".manage", Label: "fat.permission.manage"}
	PermissionStatistics = feature.Permission{Name: name + ".view_statistics", Label: "fat.permission.view_statistics"}
)

var (
	manageAccess = web.Permission(PermissionManage.Name)
	statsAccess  = web.Permission(PermissionStatistics.Name)
)

// loginName is what an EVE login's name may be (logins.MaxName, the
// characters logins accept).
var loginName = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,20}$`)

// checkLogin accepts an EVE login's name, or nothing for the setting's
// default (a settings form that leaves the field out).
func checkLogin(v string) error {
	if v != "" && !loginName.MatchString(v) {
		return fmt.Errorf("%q is not the name of an EVE login", v)
	}
	return nil
}

// The settings: which EVE logins' tokens are read. Alliance Auth asks
// each member for a token with its scopes on the spot; Keepstar keeps
// tokens per EVE login, which administrators make (docs/fat.md lists the
// scopes), so the feature names the logins rather than declaring its own.
var (
	SettingLogin = settings.Definition{Name: name + ".login", Section: "fat.settings.section", Kind: settings.KindText,
		Default: "fat", MaxLen: 20, Validate: checkLogin, Label: "fat.settings.login", Help: "fat.settings.login_help"}
	SettingFleetLogin = settings.Definition{Name: name + ".fleet_login", Section: "fat.settings.section", Kind: settings.KindText,
		Default: "fat-fleet", MaxLen: 20, Validate: checkLogin, Label: "fat.settings.fleet_login", Help: "fat.settings.fleet_login_help"}
)

// The scopes a member's token needs to be recorded from a link (Alliance
// Auth's four), and the one a fleet boss's needs for the import.
var (
	ClickScopes = []string{"esi-location.read_location.v1", "esi-location.read_ship_type.v1",
		"esi-location.read_online.v1", "esi-universe.read_structures.v1"}
	FleetScopes = []string{"esi-fleets.read_fleet.v1"}
)

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// FAT is the feature's engine.
type FAT struct {
	db       *store.DB
	esi      *esi.Client
	settings *settings.Store
	logger   *slog.Logger
	now      func() time.Time
	baseURL  string
}

// Deps are what FAT needs, for tests that build it without a site.
type Deps struct {
	DB       *store.DB
	ESI      *esi.Client
	Settings *settings.Store // nil: the settings' defaults
	Logger   *slog.Logger
	Now      func() time.Time
	BaseURL  string // the site's, for the links to copy
}

// NewFAT builds the engine.
func NewFAT(d Deps) *FAT {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &FAT{db: d.DB, esi: d.ESI, settings: d.Settings, logger: d.Logger, now: d.Now, baseURL: strings.TrimRight(d.BaseURL, "/")}
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.ESI == nil {
		return feature.Feature{}, errors.New("fat: the ESI client is not built")
	}
	f := NewFAT(Deps{DB: c.DB, ESI: c.ESI, Settings: c.Settings, Logger: c.Logger, BaseURL: baseURL(c)})
	return feature.Feature{
		Name:        name,
		Settings:    []settings.Definition{SettingLogin, SettingFleetLogin},
		Permissions: []feature.Permission{PermissionManage, PermissionStatistics},
		Locales:     Locales,
		Routes:      f.mount,
		Menu: []web.MenuItem{
			// Every member's own fleets, in their own menu: the Apps menu
			// stays for what a member was given.
			{Section: web.MenuUser, Label: "fat.nav", Path: "/fat", Access: web.LoggedIn},
			{Section: web.MenuApps, Label: "fat.links.nav", Path: "/fat/links", Access: manageAccess},
			{Section: web.MenuApps, Label: "fat.stats.nav", Path: "/fat/stats", Access: statsAccess},
		},
	}, nil
}

// loginSettings reads the two settings; without a settings store (tests),
// their defaults.
func (f *FAT) loginSettings(ctx context.Context) (click, fleet string, err error) {
	if f.settings == nil {
		return SettingLogin.Default, SettingFleetLogin.Default, nil
	}
	vals, err := f.settings.Current(ctx)
	if err != nil {
		return "", "", err
	}
	return cmp.Or(vals.String(SettingLogin), SettingLogin.Default), cmp.Or(vals.String(SettingFleetLogin), SettingFleetLogin.Default), nil
}

func baseURL(c *core.Core) string {
	if c.Config == nil || c.Config.BaseURL == nil {
		return ""
	}
	return c.Config.BaseURL.String()
}
