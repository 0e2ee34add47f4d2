package app_test

import "testing"

// setupRows are the access matrix rows of the setup checklist: superusers
// only, as it speaks of the whole site's configuration.
func setupRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{
		"GET /admin/setup": {{"GET", "/admin/setup", nil, [visitors]int{login, 403, 403, 403, 403, 200}}},
	}
}

func init() { rowsets = append(rowsets, setupRows) }
