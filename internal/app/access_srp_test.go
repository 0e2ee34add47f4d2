package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/web"
)

// srpRows are the rows of ship replacement: the group admin holds
// srp.manage, the user admin srp.access; superusers hold both. The user admin owns a request waiting for its ESI
// link, which only they may complete (others: 404). Empty forms are
// refused with a message: 422 (the forms' fields) or 400 (a status or a
// decision that is none).
func srpRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	e.addPermissions(t, groupAdmin, srp.PermissionManage.Name)
	e.addPermissions(t, userAdmin, srp.PermissionAccess.Name)
	f, err := srp.NewSRP(srp.Deps{DB: e.site.DB}).CreateFleet(ctx, &web.Viewer{AccountID: e.accounts[groupAdmin]},
		srp.FleetInput{Name: "Matrix", Doctrine: "Ravens", Commander: "FC", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var req int64
	if _, err := e.site.DB.Exec(ctx, `INSERT INTO srp_requests (fleet_id, account_id, killmail_id, killmail_hash, character_id,
		character_name, ship_type_id, ship_name, loss_value, additional, status, payout, comment, decided_by, created_at)
		VALUES ($1, $2, 424242, '', 0, '', 0, '', 0, '', 'pending', 0, '', '', $3)`, f.ID, e.accounts[userAdmin], time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.site.DB.QueryRow(ctx, `SELECT id FROM srp_requests WHERE killmail_id = 424242`).Scan(&req); err != nil {
		t.Fatal(err)
	}
	fleet := "/srp/fleets/" + strconv.FormatInt(f.ID, 10)
	request := "/srp/requests/" + strconv.FormatInt(req, 10)
	pilots := [visitors]int{login, 403, 200, 403, 200, 200}
	officers := [visitors]int{login, 403, 403, 403, 200, 200}
	return map[string][]check{
		"GET /srp":                       {{"GET", "/srp", nil, pilots}},
		"POST /srp/fleets":               {{"POST", "/srp/fleets", url.Values{}, [visitors]int{login, 403, 403, 403, 422, 422}}},
		"GET /srp/fleets/{id}":           {{"GET", fleet, nil, pilots}, {"GET", "/srp/fleets/0", nil, [visitors]int{login, 403, 404, 403, 404, 404}}},
		"POST /srp/fleets/{id}/status":   {{"POST", fleet + "/status", url.Values{}, [visitors]int{login, 403, 403, 403, 400, 400}}},
		"GET /srp/fleets/{id}/csv":       {{"GET", fleet + "/csv", nil, officers}},
		"POST /srp/fleets/{id}/requests": {{"POST", fleet + "/requests", url.Values{}, [visitors]int{login, 403, 422, 403, 422, 422}}},
		"POST /srp/requests/{id}/link":   {{"POST", request + "/link", url.Values{}, [visitors]int{login, 403, 422, 403, 404, 404}}},
		"POST /srp/requests/{id}/decide": {{"POST", request + "/decide", url.Values{}, [visitors]int{login, 403, 403, 403, 400, 400}}},
	}
}

func init() { rowsets = append(rowsets, srpRows) }
