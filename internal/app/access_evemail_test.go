package app_test

import (
	"net/url"
	"testing"
)

// evemailRows are the rows of the EVE mail page: holders of the settings
// role (the settings admin) and superusers only. An empty form is refused
// (422) to them: no character, no kind of test mail.
func evemailRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{
		"GET /admin/evemail":         {{"GET", "/admin/evemail", nil, [visitors]int{login, 403, 403, 200, 403, 200}}},
		"POST /admin/evemail/sender": {{"POST", "/admin/evemail/sender", url.Values{}, [visitors]int{login, 403, 403, 422, 403, 422}}},
		"POST /admin/evemail/test":   {{"POST", "/admin/evemail/test", url.Values{}, [visitors]int{login, 403, 403, 422, 403, 422}}},
	}
}

func init() { rowsets = append(rowsets, evemailRows) }
