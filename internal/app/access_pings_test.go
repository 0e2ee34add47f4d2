package app_test

import (
	"net/url"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/pings"
)

// pingsRows are the rows of the group pings: the settings admin holds
// pings.send (its own groups), the user admin pings.view (the history
// only); superusers hold every permission. An empty form is refused with
// its problems (422) to those who may send.
func pingsRows(t *testing.T, e *matrixEnv) map[string][]check {
	e.addPermissions(t, settingsAdmin, pings.PermissionSend.Name)
	e.addPermissions(t, userAdmin, pings.PermissionView.Name)
	return map[string][]check{
		"GET /pings":  {{"GET", "/pings", nil, [visitors]int{login, 403, 200, 200, 403, 200}}},
		"POST /pings": {{"POST", "/pings", url.Values{}, [visitors]int{login, 403, 403, 422, 403, 422}}},
	}
}

func init() { rowsets = append(rowsets, pingsRows) }
