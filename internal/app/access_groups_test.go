package app_test

import "testing"

// groupRows are the access matrix rows of the members' and managers'
// groups pages.
func groupRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{}
}

func init() { rowsets = append(rowsets, groupRows) }
