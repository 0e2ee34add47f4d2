package app_test

import (
	"context"
	"net/url"
	"testing"
	"testing/fstest"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/services"
)

// matrixServiceType is the connector type of the matrix's sites: the
// services' pages need one for an instance's page to show its settings
// and its connector's findings. It changes nothing anywhere.
func matrixServiceType() services.Type {
	return services.Type{
		Name: "matrix", Label: "matrix.service.label", Help: "matrix.service.help",
		Capabilities: services.Capabilities{Password: true, Groups: true},
		Settings: []services.Setting{
			{Key: "server", Label: "matrix.service.server", Help: "matrix.service.server_help"},
			{Key: "token", Label: "matrix.service.token", Secret: true},
			{Key: "verbose", Label: "matrix.service.verbose", Bool: true},
		},
		Open: func(context.Context, services.Instance, services.Env) (services.Connector, error) {
			return matrixConnector{}, nil
		},
		Locales: fstest.MapFS{"locales/en.toml": &fstest.MapFile{Data: []byte(`
[matrix.service.label]
description = "test"
other = "Matrix voice"

[matrix.service.help]
description = "test"
other = "A service that changes nothing."

[matrix.service.server]
description = "test"
other = "Server address"

[matrix.service.server_help]
description = "test"
other = "Where it listens."

[matrix.service.token]
description = "test"
other = "Admin token"

[matrix.service.verbose]
description = "test"
other = "Verbose logging"

[matrix.service.problem]
description = "test"
other = "The bot cannot manage {{.Role}}."

[matrix.service.console]
description = "test"
other = "Open the console"
`)}},
	}
}

// matrixConnector answers every question, and changes nothing.
type matrixConnector struct{}

func (matrixConnector) Apply(_ context.Context, a services.Account, _ services.Want) (services.Account, error) {
	return a, nil
}
func (matrixConnector) Remove(context.Context, services.Account) error { return nil }
func (matrixConnector) Groups(context.Context) ([]string, error)       { return []string{"Pilots"}, nil }
func (matrixConnector) Check(context.Context, []string) ([]services.Problem, error) {
	return []services.Problem{{Message: "matrix.service.problem", Args: map[string]any{"Role": "Pilots"}}}, nil
}
func (matrixConnector) AdminLinks() []services.AdminLink {
	return []services.AdminLink{{Label: "matrix.service.console", URL: "https://matrix.example/console"}}
}

// matrixServices are the services of the test's own, over the site's
// database and key, to make the instances the rows act on.
func matrixServices(t *testing.T, e *matrixEnv) *services.Services {
	svc, err := services.New(services.Options{DB: e.site.DB, SecretKey: e.site.Config.SecretKey,
		Types: []services.Type{matrixServiceType()}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// matrixInstance makes an instance of the matrix type; enabled ones are
// enabled with no account linked, so nothing is queued.
func matrixInstance(t *testing.T, svc *services.Services, slug string, enabled bool) string {
	t.Helper()
	ctx := context.Background()
	inst, err := svc.Create(ctx, services.Input{Type: "matrix", Slug: slug, Name: "Matrix " + slug, MapByName: true})
	if err != nil {
		t.Fatal(err)
	}
	if enabled {
		in := services.Input{Name: inst.Name, Enabled: true, MapByName: true, Settings: map[string]string{"server": "matrix.example"}}
		if _, err := svc.Update(ctx, inst.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	return inst.Slug
}

// servicesAdminRows are the access matrix rows of the services' admin
// pages, for the service-admin role (given here to the settings admin,
// the matrix having no visitor of its own for it) and superusers.
func servicesAdminRows(t *testing.T, e *matrixEnv) map[string][]check {
	e.addRoles(t, settingsAdmin, access.RoleServiceAdmin)
	svc := matrixServices(t, e)
	edited := "/admin/services/" + matrixInstance(t, svc, "matrix-edited", false)
	live := "/admin/services/" + matrixInstance(t, svc, "matrix-live", true)
	deleted := "/admin/services/" + matrixInstance(t, svc, "matrix-deleted", false)
	missing := "/admin/services/no-such"

	// The settings admin acts first, then the superuser: what the first
	// made or deleted is there, or gone, for the second.
	admins := func(status int) [visitors]int { return [visitors]int{login, 403, 403, status, 403, status} }
	form := url.Values{"name": {"Matrix edited"}, "setting-server": {"matrix.example"}, "setting-token": {""},
		"map_by_name": {"on"}, "unmanaged": {"Bots"}}
	return map[string][]check{
		"GET /admin/services": {{"GET", "/admin/services", nil, admins(200)}},
		"POST /admin/services": {
			{"POST", "/admin/services", url.Values{"type": {"matrix"}, "slug": {"Not A Slug"}, "name": {""}}, admins(422)},
			{"POST", "/admin/services", url.Values{"type": {"matrix"}, "slug": {"matrix-created"}, "name": {"Created"}},
				[visitors]int{login, 403, 403, 200, 403, 422}},
		},
		"GET /admin/services/{slug}": {
			{"GET", edited, nil, admins(200)},
			{"GET", live, nil, admins(200)},
			{"GET", missing, nil, admins(404)},
		},
		"POST /admin/services/{slug}": {
			{"POST", edited, form, admins(200)},
			{"POST", edited, url.Values{"name": {""}}, admins(422)},
			{"POST", missing, form, admins(404)},
		},
		"POST /admin/services/{slug}/sync": {
			{"POST", live + "/sync", url.Values{}, admins(200)},
			{"POST", edited + "/sync", url.Values{}, admins(200)}, // disabled: said so
			{"POST", missing + "/sync", url.Values{}, admins(404)},
		},
		"POST /admin/services/{slug}/verify": {
			{"POST", live + "/verify", url.Values{}, admins(200)},
			{"POST", missing + "/verify", url.Values{}, admins(404)},
		},
		"GET /admin/services/{slug}/delete": {
			{"GET", edited + "/delete", nil, admins(200)}, // the deleted one may be gone: the rows run in any order
			{"GET", missing + "/delete", nil, admins(404)},
		},
		"POST /admin/services/{slug}/delete": {
			{"POST", deleted + "/delete", url.Values{}, admins(400)}, // not confirmed
			{"POST", deleted + "/delete", url.Values{"confirm": {"yes"}}, [visitors]int{login, 403, 403, 200, 403, 404}},
		},
		"GET /admin/services/{slug}/audit": {
			{"GET", live + "/audit", nil, admins(200)},
			{"GET", live + "/audit?account=1&before=99", nil, admins(200)},
			{"GET", live + "/audit?before=x", nil, admins(400)},
			{"GET", missing + "/audit", nil, admins(404)},
		},
	}
}

func init() { rowsets = append(rowsets, servicesAdminRows) }
