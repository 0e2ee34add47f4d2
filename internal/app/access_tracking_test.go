package app_test

import (
	"context"
	"github.com/keepstar/keepstar/internal/store"
	"net/url"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
)

// trackingRows are the rows of member tracking: the user admin holds the
// role tracking (in no corporation's group, so it sees the list, empty,
// and no corporation), the group admin tracking-admin; superusers hold
// both, and are in no group either.
func trackingRows(t *testing.T, e *matrixEnv) map[string][]check {
	e.addRoles(t, userAdmin, access.RoleTracking)
	e.addRoles(t, groupAdmin, access.RoleTrackingAdmin)
	return map[string][]check{
		"GET /tracking":                    {{"GET", "/tracking", nil, [visitors]int{login, 403, 200, 403, 403, 200}}},
		"GET /tracking/{id}":               {{"GET", "/tracking/98000001", nil, [visitors]int{login, 403, 403, 403, 403, 403}}},
		"GET /tracking/{id}/csv":           {{"GET", "/tracking/98000001/csv", nil, [visitors]int{login, 403, 403, 403, 403, 403}}},
		"GET /admin/tracking":              {{"GET", "/admin/tracking", nil, [visitors]int{login, 403, 403, 403, 200, 200}}},
		"POST /admin/tracking/{id}/groups": {{"POST", "/admin/tracking/98000001/groups", url.Values{}, [visitors]int{login, 403, 403, 403, 404, 404}}},
	}
}

func init() { rowsets = append(rowsets, trackingRows) }

// addRoles gives a visitor of the matrix roles besides those it holds:
// each app's rows add their own, whichever ran first.
func (e *matrixEnv) addRoles(t *testing.T, v int, roles ...string) {
	t.Helper()
	ctx := context.Background()
	acc, err := e.site.Accounts().Get(ctx, e.accounts[v])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.site.Accounts().SetRoles(ctx, e.accounts[v], append(acc.Roles, roles...), false); err != nil {
		t.Fatal(err)
	}
}

// addPermissions gives a visitor of the matrix permissions of its own
// besides those it holds: each app's rows add theirs, whichever ran first,
// and none through a group, which a recomputation running beside the
// checks could take away.
func (e *matrixEnv) addPermissions(t *testing.T, v int, permissions ...string) {
	t.Helper()
	ctx := context.Background()
	own, err := store.Column[string](ctx, e.site.DB, `SELECT permission FROM account_permissions WHERE account_id = $1`, e.accounts[v])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.site.Accounts().SetPermissions(ctx, e.accounts[v], append(own, permissions...)); err != nil {
		t.Fatal(err)
	}
}
