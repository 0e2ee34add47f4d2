package app

import (
	"embed"
	"io/fs"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/apidocs"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/apps/calendar"
	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/setup"
	"github.com/keepstar/keepstar/internal/signin"
	"github.com/keepstar/keepstar/internal/sitesettings"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/tokencheck"
	"github.com/keepstar/keepstar/internal/web"
)

// Locales are the messages of the composition root's own parts (the SQLite
// upkeep job), locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// locales lists the message catalogues of the core's packages that have
// some: a core package with a locales/ folder is added here, once. A
// plugin's catalogue comes with its feature (feature.Feature.Locales).
func locales() []fs.FS {
	return append([]fs.FS{
		web.Locales,
		Locales,
		sessions.Locales,
		esi.Locales,
		affiliations.Locales,
		access.Locales,
		accounts.Locales,
		signin.Locales,
		logins.Locales,
		names.Locales,
		groups.Locales,
		states.Locales,
		notifications.Locales,
		tokencheck.Locales,
		appapi.Locales,
		apidocs.Locales,
		operations.Locales,
		sitesettings.Locales,
		setup.Locales,
		demo.Locales,
		settings.Locales,
		services.Locales,
		calendar.Locales,
	}, connectorLocales(nil)...)
}

// connectorLocales are the messages of the services' connector types.
func connectorLocales(extra []services.TypeConstructor) []fs.FS {
	var out []fs.FS
	for _, t := range serviceTypes(extra) {
		if t.Locales != nil {
			out = append(out, t.Locales)
		}
	}
	return out
}

// Catalogue loads every core package's messages and those of extra (the
// plugins' Locales), merged into one catalogue; the tests of the packages
// load it to check the ids they build.
func Catalogue(extra ...fs.FS) (*i18n.Catalogue, error) {
	return i18n.Load(append(locales(), extra...)...)
}
