package app_test

import (
	"testing"
)

// namesRows are the access matrix rows of the EVE name lookup
// (internal/eve/names): for those who edit forms that name EVE entities,
// holders of the settings or group-admin role and superusers. A bad kind
// is a 400 for them and refused as usual for the others.
func namesRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{
		"GET /api/eve/names": {
			{"GET", "/api/eve/names?kind=corporation&q=a", nil, [visitors]int{login, 403, 403, 200, 200, 200}},
			{"GET", "/api/eve/names?kind=planet&q=a", nil, [visitors]int{login, 403, 403, 400, 400, 400}},
		},
	}
}

func init() { rowsets = append(rowsets, namesRows) }
