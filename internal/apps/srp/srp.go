package srp

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// name is the feature's name, the prefix of its permissions and settings,
// built so that the catalogue's check does not take them for messages.
const name = "srp"

// The permissions, Alliance Auth's srp.access_srp and
// auth.srp_management.
var (
	PermissionAccess = feature.Permission{Name: name + ".access", Label: "srp.permission.access"}
	PermissionManage = feature.Permission{Name: name + ".manage", Label: "srp.permission.manage"}
)

var (
	// accessAccess admits members who file requests, and officers, who
	// see the same fleets.
	accessAccess = web.Permission(PermissionAccess.Name, PermissionManage.Name)
	manageAccess = web.Permission(PermissionManage.Name)
)

// The settings of zKillboard: off by default, since Keepstar's machines
// usually do not reach it.
var (
	SettingZKillboard = settings.Definition{Name: name + ".zkillboard", Section: "srp.settings.section", Kind: settings.KindBool,
		Default: "false", Label: "srp.settings.zkillboard", Help: "srp.settings.zkillboard_help"}
	SettingZKillboardURL = settings.Definition{Name: name + ".zkillboard_url", Section: "srp.settings.section", Kind: settings.KindText,
		Default: "https://zkillboard.com/", MaxLen: 200, Label: "srp.settings.zkillboard_url", Help: "srp.settings.zkillboard_url_help"}
)

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// SRP is the feature's engine.
type SRP struct {
	db            *store.DB
	esi           *esi.Client
	settings      *settings.Store
	notifications *notifications.Store
	logger        *slog.Logger
	now           func() time.Time
	// client asks zKillboard when the setting allows it.
	client *http.Client
}

// Deps are what SRP needs, for tests that build it without a site.
type Deps struct {
	DB            *store.DB
	ESI           *esi.Client
	Settings      *settings.Store // nil: the settings' defaults
	Notifications *notifications.Store
	Logger        *slog.Logger
	Now           func() time.Time
	HTTPClient    *http.Client // for zKillboard; nil: a client with a 10 s timeout
}

// NewSRP builds the engine.
func NewSRP(d Deps) *SRP {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &SRP{db: d.DB, esi: d.ESI, settings: d.Settings, notifications: d.Notifications, logger: d.Logger, now: d.Now,
		client: d.HTTPClient}
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.ESI == nil || c.Notifications == nil {
		return feature.Feature{}, errors.New("srp: the ESI client or the notifications are not built")
	}
	s := NewSRP(Deps{DB: c.DB, ESI: c.ESI, Settings: c.Settings, Notifications: c.Notifications, Logger: c.Logger})
	return feature.Feature{
		Name:        name,
		Settings:    []settings.Definition{SettingZKillboard, SettingZKillboardURL},
		Permissions: []feature.Permission{PermissionAccess, PermissionManage},
		Locales:     Locales,
		Routes:      s.mount,
		Menu:        []web.MenuItem{{Section: web.MenuApps, Label: "srp.nav", Path: "/srp", Access: accessAccess}},
		Hooks:       feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}
