package app_test

import (
	"testing"

	"github.com/keepstar/keepstar/internal/feature/example"
)

// exampleRows are the access matrix rows of the guide's example feature
// (internal/feature/example), which the matrix's site registers as a
// plugin: its page is for holders of example.read, given here to the
// group admin (the member's permissions are rewritten by another row), and
// for superusers.
func exampleRows(t *testing.T, e *matrixEnv) map[string][]check {
	e.addPermissions(t, groupAdmin, example.PermissionRead.Name)
	return map[string][]check{
		"GET /example": {{"GET", "/example", nil, [visitors]int{login, 403, 403, 403, 200, 200}}},
	}
}

func init() { rowsets = append(rowsets, exampleRows) }
