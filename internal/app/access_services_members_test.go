package app_test

import (
	"net/url"
	"testing"
)

// servicesMemberRows are the access matrix rows of the members' Services
// pages. Every logged-in member reaches them; each action then asks
// whether the member holds the service's access permission (nobody does
// here: 403), has an account there (nobody: 409), or whether the service
// exists (404). internal/services proves the allowed cases.
func servicesMemberRows(t *testing.T, e *matrixEnv) map[string][]check {
	svc := matrixServices(t, e)
	live := "/services/" + matrixInstance(t, svc, "matrix-members", true)
	missing := "/services/no-such"
	return map[string][]check{
		"GET /services": {{"GET", "/services", nil, members(200)}},
		"GET /services/{slug}/link": {
			{"GET", live + "/link", nil, members(403)},
			{"GET", missing + "/link", nil, members(404)},
		},
		// No link under way in the browser: refused whatever the service.
		"GET /services/{slug}/callback": {{"GET", live + "/callback?state=x&code=y", nil, members(400)}},
		"POST /services/{slug}/activate": {
			{"POST", live + "/activate", url.Values{}, members(403)},
			{"POST", missing + "/activate", url.Values{}, members(404)},
		},
		"POST /services/{slug}/password": {
			{"POST", live + "/password", url.Values{"reset": {"1"}}, members(403)},
			{"POST", live + "/password", url.Values{"password": {"short"}}, members(400)},
			{"POST", missing + "/password", url.Values{"reset": {"1"}}, members(404)},
		},
		"GET /services/{slug}/deactivate": {
			{"GET", live + "/deactivate", nil, members(409)},
			{"GET", missing + "/deactivate", nil, members(404)},
		},
		"POST /services/{slug}/deactivate": {
			{"POST", live + "/deactivate", url.Values{}, members(409)},
			{"POST", live + "/deactivate", url.Values{"confirm": {"yes"}}, members(409)},
		},
	}
}

func init() { rowsets = append(rowsets, servicesMemberRows) }
