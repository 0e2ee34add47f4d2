package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/store"
)

// timersRows are the rows of the structure timers, the fleet operations
// and the calendar feed: the user admin holds timers.view and
// fleetops.view (reads only), the settings admin every timer permission
// and fleetops.manage; superusers hold every permission. Empty forms are
// refused with their problems (422) to those who may post them; deletions
// unconfirmed (400), so that the timer and operation stay for the others.
func timersRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	e.addPermissions(t, userAdmin, timers.PermissionView.Name, fleetops.PermissionView.Name)
	e.addPermissions(t, settingsAdmin, timers.PermissionAdd.Name, timers.PermissionChange.Name, timers.PermissionDelete.Name,
		fleetops.PermissionManage.Name)
	now := time.Now()
	var timer, op int64
	err := e.site.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important,
		owner, details, creator_id, creator_name, created_at, updated_at) VALUES ('1DQ1-A', '', 'keepstar', 'armor', 'hostile', $1,
		false, '', '', $2, 'matrix', $3, $3) RETURNING id`, now.Add(time.Hour), e.accounts[superuser], now).Scan(&timer); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO fleet_operations (name, doctrine, system, start_at, duration, fc, op_type,
		description, creator_id, creator_name, created_at, updated_at) VALUES ('Matrix op', 'Muninn', '1DQ1-A', $1, '2h', 'FC', '',
		'', $2, 'matrix', $3, $3) RETURNING id`, now.Add(time.Hour), e.accounts[superuser], now).Scan(&op)
	})
	if err != nil {
		t.Fatal(err)
	}
	tp, opp := "/timers/"+strconv.FormatInt(timer, 10), "/fleetops/"+strconv.FormatInt(op, 10)
	viewers := [visitors]int{login, 403, 200, 200, 403, 200}
	changers := [visitors]int{login, 403, 403, 200, 403, 200}
	refused := [visitors]int{login, 403, 403, 422, 403, 422}
	unconfirmed := [visitors]int{login, 403, 403, 400, 403, 400}
	return map[string][]check{
		"GET /timers":                {{"GET", "/timers", nil, viewers}},
		"GET /timers/add":            {{"GET", "/timers/add", nil, changers}},
		"POST /timers/add":           {{"POST", "/timers/add", url.Values{}, refused}},
		"GET /timers/{id}/edit":      {{"GET", tp + "/edit", nil, changers}, {"GET", "/timers/0/edit", nil, [visitors]int{login, 403, 403, 404, 403, 404}}},
		"POST /timers/{id}/edit":     {{"POST", tp + "/edit", url.Values{}, refused}},
		"GET /timers/{id}/delete":    {{"GET", tp + "/delete", nil, changers}},
		"POST /timers/{id}/delete":   {{"POST", tp + "/delete", url.Values{}, unconfirmed}},
		"GET /fleetops":              {{"GET", "/fleetops", nil, viewers}},
		"GET /fleetops/add":          {{"GET", "/fleetops/add", nil, changers}},
		"POST /fleetops/add":         {{"POST", "/fleetops/add", url.Values{}, refused}},
		"GET /fleetops/{id}/edit":    {{"GET", opp + "/edit", nil, changers}},
		"POST /fleetops/{id}/edit":   {{"POST", opp + "/edit", url.Values{}, refused}},
		"GET /fleetops/{id}/delete":  {{"GET", opp + "/delete", nil, changers}},
		"POST /fleetops/{id}/delete": {{"POST", opp + "/delete", url.Values{}, unconfirmed}},
		// Every member has a calendar page and link; the feed answers its
		// secret alone, 404 to any other.
		"GET /calendar":             {{"GET", "/calendar", nil, members(200)}},
		"POST /calendar/renew":      {{"POST", "/calendar/renew", url.Values{}, members(200)}},
		"POST /calendar/remove":     {{"POST", "/calendar/remove", url.Values{}, members(200)}},
		"GET /calendar/feed/{file}": {{"GET", "/calendar/feed/no-such-secret.ics", nil, all(404)}},
	}
}

func init() { rowsets = append(rowsets, timersRows) }
