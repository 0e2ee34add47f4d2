package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/appapi"
)

// appsPagesRows are the access matrix rows of the pages that manage apps.
// The administration is for app admins (none among the visitors) and
// superusers. The managers' page is for members who manage an app: the
// member is made manager of one here (and gets the app-manager role with
// it); the superuser manages none, so is refused both the page and the
// app's secret. internal/appapi proves app admins and managers of other apps.
func appsPagesRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	st := appapi.NewStore(e.site.DB, e.site.Config.SecretKey, nil)
	newApp := func(in appapi.Input) string {
		a, err := st.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(a.ID, 10)
	}
	managed := newApp(appapi.Input{Name: "Matrix managed", Roles: []string{appapi.RoleApp}, Managers: []int64{e.accounts[member]}})
	edited := newApp(appapi.Input{Name: "Matrix edited"})
	deleted := newApp(appapi.Input{Name: "Matrix deleted"})

	admins := func(status int) [visitors]int { return [visitors]int{login, 403, 403, 403, 403, status} }
	managers := func(status int) [visitors]int { return [visitors]int{login, status, 403, 403, 403, 403} }
	return map[string][]check{
		"GET /admin/apps": {{"GET", "/admin/apps", nil, admins(200)}},
		"POST /admin/apps": {
			{"POST", "/admin/apps", url.Values{"name": {"Matrix created"}}, admins(200)},
			{"POST", "/admin/apps", url.Values{"name": {""}}, admins(422)},
		},
		"GET /admin/apps/{id}": {
			{"GET", "/admin/apps/" + edited, nil, admins(200)},
			{"GET", "/admin/apps/999999", nil, admins(404)},
		},
		"POST /admin/apps/{id}": {
			{"POST", "/admin/apps/" + edited, url.Values{"name": {"Matrix edited"}, "roles": {appapi.RoleApp}}, admins(200)},
			{"POST", "/admin/apps/" + edited, url.Values{"name": {"Matrix edited"}, "groups": {"999999"}}, admins(422)},
		},
		"GET /admin/apps/{id}/delete": {
			{"GET", "/admin/apps/" + edited + "/delete", nil, admins(200)},
			{"GET", "/admin/apps/999999/delete", nil, admins(404)},
		},
		"POST /admin/apps/{id}/delete": {
			{"POST", "/admin/apps/" + deleted + "/delete", url.Values{}, admins(400)}, // not confirmed
			{"POST", "/admin/apps/" + deleted + "/delete", url.Values{"confirm": {"yes"}}, admins(200)},
		},
		"GET /apps": {{"GET", "/apps", nil, managers(200)}},
		"POST /apps/{id}/secret": {
			{"POST", "/apps/" + managed + "/secret", url.Values{}, managers(200)},
			{"POST", "/apps/999999/secret", url.Values{}, managers(404)},
		},
	}
}

func init() { rowsets = append(rowsets, appsPagesRows) }
