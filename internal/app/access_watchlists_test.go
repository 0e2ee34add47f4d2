package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// watchlistsRows are the rows of the watchlists: the user admin also holds
// watchlist-admin (given by hand); the settings admin is in the list's
// view and manager groups, so holds watchlist and watchlist-manager
// (followed from the groups); superusers hold every role and see every
// list. A watchlist-admin changes the watched entities but is no manager
// of the list's exemptions, kicklist and allowlist, nor a viewer.
func watchlistsRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	e.addRoles(t, userAdmin, access.RoleWatchlistAdmin)
	// The group is made and joined through the groups' store, so that the
	// access engine's recomputations keep the membership.
	db := e.site.DB
	st := settings.NewStore(db, settings.NewRegistry(groups.Settings, access.Settings), nil, 0)
	gs := groups.New(db, groups.Options{Recomputer: access.NewRecomputer(db, st, nil), Queue: groupRowsQueue{},
		Catalogue: access.NewCatalogue(access.Permissions), Settings: st})
	g, err := gs.Create(ctx, groups.Input{Name: "Matrix watchers", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Add(ctx, groups.Actor{Superuser: true, Name: "matrix"}, g.ID, e.accounts[settingsAdmin]); err != nil {
		t.Fatal(err)
	}
	var list watchlists.Watchlist
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if list, err = watchlists.Create(ctx, tx, "Matrix"); err != nil {
			return err
		}
		if err := watchlists.SetGroups(ctx, tx, list.ID, false, []int64{g.ID}); err != nil {
			return err
		}
		return watchlists.SetGroups(ctx, tx, list.ID, true, []int64{g.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(list.ID, 10)
	base := "/watchlists/" + id
	watched := url.Values{"list": {watchlists.ListWatched}, "kind": {watchlists.KindCorporation}, "names": {"98000001"}}
	allow := url.Values{"list": {watchlists.ListAllowlist}, "kind": {watchlists.KindCorporation}, "names": {"98000002"}}
	exempt := url.Values{"characters": {strconv.Itoa(int(e.ids[member]))}}
	// Saving keeps the groups, which the other rows need.
	group := strconv.FormatInt(g.ID, 10)
	save := url.Values{"name": {"Matrix"}, "view": {group}, "manager": {group}}
	return map[string][]check{
		"GET /watchlists": {{"GET", "/watchlists", nil, [visitors]int{login, 403, 200, 200, 403, 200}}},
		"GET /watchlists/{id}": {
			{"GET", base, nil, [visitors]int{login, 403, 403, 200, 403, 200}},
			{"GET", "/watchlists/999999", nil, [visitors]int{login, 403, 403, 404, 403, 404}},
		},
		"GET /watchlists/{id}/manage": {{"GET", base + "/manage", nil, [visitors]int{login, 403, 200, 200, 403, 200}}},
		"POST /watchlists/{id}/entities": {
			{"POST", base + "/entities", watched, [visitors]int{login, 403, 200, 200, 403, 200}},
			{"POST", base + "/entities", allow, [visitors]int{login, 403, 403, 200, 403, 200}},
			{"POST", base + "/entities", url.Values{"list": {"denylist"}}, [visitors]int{login, 403, 400, 400, 403, 400}},
		},
		"POST /watchlists/{id}/entities/remove": {
			{"POST", base + "/entities/remove", url.Values{"list": {watchlists.ListAllowlist}, "kind": {watchlists.KindCorporation}, "entity": {"98000002"}},
				[visitors]int{login, 403, 403, 200, 403, 200}},
		},
		"POST /watchlists/{id}/exemptions":        {{"POST", base + "/exemptions", exempt, [visitors]int{login, 403, 403, 200, 403, 200}}},
		"POST /watchlists/{id}/exemptions/remove": {{"POST", base + "/exemptions/remove", url.Values{"account": {"1"}}, [visitors]int{login, 403, 403, 200, 403, 200}}},
		"GET /admin/watchlists":                   {{"GET", "/admin/watchlists", nil, [visitors]int{login, 403, 200, 403, 403, 200}}},
		"POST /admin/watchlists":                  {{"POST", "/admin/watchlists", url.Values{"name": {""}}, [visitors]int{login, 403, 422, 403, 403, 422}}},
		"POST /admin/watchlists/{id}":             {{"POST", "/admin/watchlists/" + id, save, [visitors]int{login, 403, 200, 403, 403, 200}}},
		"GET /admin/watchlists/{id}/delete": {
			{"GET", "/admin/watchlists/" + id + "/delete", nil, [visitors]int{login, 403, 200, 403, 403, 200}},
			{"GET", "/admin/watchlists/999999/delete", nil, [visitors]int{login, 403, 404, 403, 403, 404}},
		},
		"POST /admin/watchlists/{id}/delete": {
			{"POST", "/admin/watchlists/" + id + "/delete", nil, [visitors]int{login, 403, 400, 403, 403, 400}},
			{"POST", "/admin/watchlists/999999/delete", url.Values{"confirm": {"yes"}}, [visitors]int{login, 403, 404, 403, 403, 404}},
		},
	}
}

func init() { rowsets = append(rowsets, watchlistsRows) }
