package app_test

import "testing"

// appsRows are the access matrix rows of the Application API: apps prove
// themselves with a bearer secret on every request, so every web visitor,
// logged in or not, superuser included, is refused with 401 (which the
// matrix counts as "sent to log in"). The API's own tests (internal/apps)
// show the apps allowed and refused by role.
func appsRows(t *testing.T, e *matrixEnv) map[string][]check {
	noApp := [visitors]int{login, login, login, login, login, login}
	return map[string][]check{
		"GET /api/app/v1/show": {{"GET", "/api/app/v1/show", nil, noApp}},
	}
}

func init() { rowsets = append(rowsets, appsRows) }
