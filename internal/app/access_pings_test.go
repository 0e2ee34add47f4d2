package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/pings"
)

// pingsRows are the rows of the group pings: the settings admin holds
// pings.send (its own groups), the user admin pings.view (the history
// only); superusers hold every permission. An empty form is refused with
// its problems (422) to those who may send.
func pingsRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	if err := e.site.Accounts().SetPermissions(ctx, e.accounts[settingsAdmin], []string{pings.PermissionSend.Name}); err != nil {
		t.Fatal(err)
	}
	if err := e.site.Accounts().SetPermissions(ctx, e.accounts[userAdmin], []string{pings.PermissionView.Name}); err != nil {
		t.Fatal(err)
	}
	return map[string][]check{
		"GET /pings":  {{"GET", "/pings", nil, [visitors]int{login, 403, 200, 200, 403, 200}}},
		"POST /pings": {{"POST", "/pings", url.Values{}, [visitors]int{login, 403, 403, 422, 403, 422}}},
	}
}

func init() { rowsets = append(rowsets, pingsRows) }
