package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
)

// adminRowsQueue takes the full recomputations the fixtures below queue
// and runs none: they change nobody's access (no member lists, no
// default or mapped group, an autogroup configuration of no state).
type adminRowsQueue struct{}

func (adminRowsQueue) InsertTx(context.Context, *store.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}

// adminRows are the access matrix rows of the administration of groups,
// autogroups, reserved names, states, permissions and roles. The POST
// rows make valid changes that change nothing (the fixtures saved as they
// are), or invalid ones (422), or ask for what does not exist (404), so
// that each visitor's request finds the same site.
func adminRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	db := e.site.DB
	catalogue := access.NewCatalogue(access.Permissions)
	gs := groups.New(db, groups.Options{Queue: adminRowsQueue{}, Catalogue: catalogue})
	g, err := gs.Create(ctx, groups.Input{Name: "Matrix admin group", Description: "Fixture"})
	if err != nil {
		t.Fatal(err)
	}
	agID, err := gs.CreateAutogroups(ctx, groups.AutogroupConfig{CorporationGroups: true, CorporationPrefix: "Matrix ", NameSource: "ticker"})
	if err != nil {
		t.Fatal(err)
	}
	stID, err := states.New(db, adminRowsQueue{}, catalogue, nil).Create(ctx, states.Input{Name: "Matrix state", Priority: 77})
	if err != nil {
		t.Fatal(err)
	}
	group := "/admin/groups/" + strconv.FormatInt(g.ID, 10)
	autogroups := "/admin/autogroups/" + strconv.FormatInt(agID, 10)
	state := "/admin/states/" + strconv.FormatInt(stID, 10)

	groupAdmins := [visitors]int{login, 403, 403, 403, 200, 200}
	superusers := [visitors]int{login, 403, 403, 403, 403, 200}
	// Refused as the rules say; for those admitted, the outcome given.
	groupAdminsGet := func(status int) [visitors]int { return [visitors]int{login, 403, 403, 403, status, status} }
	superusersGet := func(status int) [visitors]int { return [visitors]int{login, 403, 403, 403, 403, status} }
	return map[string][]check{
		"GET /admin/groups":     {{"GET", "/admin/groups", nil, groupAdmins}},
		"GET /admin/groups/new": {{"GET", "/admin/groups/new", nil, groupAdmins}},
		"POST /admin/groups":    {{"POST", "/admin/groups", url.Values{"name": {""}}, groupAdminsGet(422)}},
		"GET /admin/groups/{id}": {
			{"GET", group, nil, groupAdmins},
			{"GET", "/admin/groups/999999", nil, groupAdminsGet(404)},
		},
		"POST /admin/groups/{id}": {{"POST", group, url.Values{"name": {g.Name}, "description": {g.Description}}, groupAdmins}},
		"GET /admin/groups/{id}/delete": {
			{"GET", group + "/delete", nil, groupAdmins},
			{"GET", "/admin/groups/999999/delete", nil, groupAdminsGet(404)},
		},
		"POST /admin/groups/{id}/delete": {
			{"POST", group + "/delete", url.Values{}, groupAdminsGet(400)}, // not confirmed
			{"POST", "/admin/groups/999999/delete", url.Values{"confirm": {"yes"}}, groupAdminsGet(404)},
		},
		"GET /admin/autogroups":       {{"GET", "/admin/autogroups", nil, groupAdmins}},
		"POST /admin/autogroups":      {{"POST", "/admin/autogroups", url.Values{"name_source": {"ticker"}}, groupAdminsGet(422)}},
		"POST /admin/autogroups/{id}": {{"POST", autogroups, url.Values{"corporation_groups": {"on"}}, groupAdmins}},
		"GET /admin/autogroups/{id}/delete": {
			{"GET", autogroups + "/delete", nil, groupAdmins},
			{"GET", "/admin/autogroups/999999/delete", nil, groupAdminsGet(404)},
		},
		"POST /admin/autogroups/{id}/delete": {
			{"POST", autogroups + "/delete", url.Values{}, groupAdminsGet(400)}, // not confirmed
			{"POST", "/admin/autogroups/999999/delete", url.Values{"confirm": {"yes"}}, groupAdminsGet(404)},
		},
		"GET /admin/reserved-names":                {{"GET", "/admin/reserved-names", nil, groupAdmins}},
		"POST /admin/reserved-names":               {{"POST", "/admin/reserved-names", url.Values{"name": {""}}, groupAdminsGet(422)}},
		"POST /admin/reserved-names/{name}/delete": {{"POST", "/admin/reserved-names/no-such-name/delete", nil, groupAdminsGet(404)}},

		"GET /admin/states":     {{"GET", "/admin/states", nil, superusers}},
		"GET /admin/states/new": {{"GET", "/admin/states/new", nil, superusers}},
		"POST /admin/states":    {{"POST", "/admin/states", url.Values{"name": {""}, "priority": {"1"}}, superusersGet(422)}},
		"GET /admin/states/{id}": {
			{"GET", state, nil, superusers},
			{"GET", "/admin/states/999999", nil, superusersGet(404)},
		},
		"POST /admin/states/{id}": {{"POST", state, url.Values{"name": {"Matrix state"}, "priority": {"77"}}, superusers}},
		"GET /admin/states/{id}/delete": {
			{"GET", state + "/delete", nil, superusers},
			{"GET", "/admin/states/999999/delete", nil, superusersGet(404)},
		},
		"POST /admin/states/{id}/delete": {
			{"POST", state + "/delete", url.Values{}, superusersGet(400)}, // not confirmed
			{"POST", "/admin/states/999999/delete", url.Values{"confirm": {"yes"}}, superusersGet(404)},
		},

		// access.audit: held by no visitor but the superuser.
		"GET /admin/permissions": {{"GET", "/admin/permissions", nil, superusers}},
		"GET /admin/permissions/{name}": {
			{"GET", "/admin/permissions/" + access.PermissionAudit.Name, nil, superusers},
			{"GET", "/admin/permissions/no.such", nil, superusersGet(404)},
		},
		"GET /admin/roles": {{"GET", "/admin/roles", nil, superusers}},
		// No group ticked: no role requires any, as before.
		"POST /admin/roles": {{"POST", "/admin/roles", url.Values{}, superusers}},
	}
}

func init() { rowsets = append(rowsets, adminRows) }
