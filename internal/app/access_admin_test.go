package app_test

import "testing"

// adminRows are the access matrix rows of the administration of groups,
// autogroups, reserved names, states, permissions and roles.
func adminRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{}
}

func init() { rowsets = append(rowsets, adminRows) }
