package app_test

import (
	"net/url"
	"testing"
)

// operationsRows are the access matrix rows of the operations page and of
// River UI: superusers only, River UI's API included (the SPA's reads and
// its actions on jobs), whatever the method.
func operationsRows(t *testing.T, e *matrixEnv) map[string][]check {
	superusers := [visitors]int{login, 403, 403, 403, 403, 200}
	superusersGet := func(status int) [visitors]int { return [visitors]int{login, 403, 403, 403, 403, status} }
	return map[string][]check{
		"GET /admin/operations": {{"GET", "/admin/operations", nil, superusers}},
		"POST /admin/operations/run/{kind}": {
			{"POST", "/admin/operations/run/sessions_cleanup", nil, superusers},
			{"POST", "/admin/operations/run/no_such_job", nil, superusersGet(404)},
		},
		"/admin/jobs/": {
			{"GET", "/admin/jobs/", nil, superusers},
			{"GET", "/admin/jobs", nil, superusers}, // redirected to /admin/jobs/
			{"GET", "/admin/jobs/jobs?state=completed", nil, superusers},
			{"GET", "/admin/jobs/api/jobs?state=completed", nil, superusers},
			{"GET", "/admin/jobs/api/states", nil, superusers},
			{"GET", "/admin/jobs/api/queues", nil, superusers},
			// A form is no job list: River UI answers 400 to the one
			// admitted.
			{"POST", "/admin/jobs/api/jobs/cancel", url.Values{"job_ids": {"999999"}}, superusersGet(400)},
			{"POST", "/admin/jobs/api/jobs/retry", url.Values{"job_ids": {"999999"}}, superusersGet(400)},
			{"POST", "/admin/jobs/api/jobs/delete", url.Values{"job_ids": {"999999"}}, superusersGet(400)},
		},
	}
}

func init() { rowsets = append(rowsets, operationsRows) }
