package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/fat"
)

// fatRows are the rows of fleet activity tracking: the group admin holds
// fat.manage, the user admin fat.view_statistics; superusers hold both. Any member opens a fatlink and their own
// page. Empty forms are refused with a message: 400 (no character) or 422
// (the link's form).
func fatRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	e.addPermissions(t, groupAdmin, fat.PermissionManage.Name)
	e.addPermissions(t, userAdmin, fat.PermissionStatistics.Name)
	l, err := fat.NewFAT(fat.Deps{DB: e.site.DB}).CreateLink(ctx, fat.LinkInput{Fleet: "Matrix", Duration: "600"}, 0, "FC")
	if err != nil {
		t.Fatal(err)
	}
	link := "/fat/links/" + strconv.FormatInt(l.ID, 10)
	click := "/fat/click/" + l.Hash
	managers := [visitors]int{login, 403, 403, 403, 200, 200}
	statistics := [visitors]int{login, 403, 200, 403, 403, 200}
	return map[string][]check{
		"GET /fat":                             {{"GET", "/fat", nil, members(200)}, {"GET", "/fat?month=2026-00", nil, members(400)}},
		"GET /fat/click/{hash}":                {{"GET", click, nil, members(200)}, {"GET", "/fat/click/unknown", nil, members(404)}},
		"POST /fat/click/{hash}":               {{"POST", click, url.Values{}, members(400)}},
		"GET /fat/links":                       {{"GET", "/fat/links", nil, managers}},
		"POST /fat/links":                      {{"POST", "/fat/links", url.Values{}, [visitors]int{login, 403, 403, 403, 422, 422}}},
		"GET /fat/links/{id}":                  {{"GET", link, nil, managers}, {"GET", "/fat/links/0", nil, [visitors]int{login, 403, 403, 403, 404, 404}}},
		"POST /fat/links/{id}/import":          {{"POST", link + "/import", url.Values{}, [visitors]int{login, 403, 403, 403, 400, 400}}},
		"GET /fat/stats":                       {{"GET", "/fat/stats", nil, statistics}, {"GET", "/fat/stats?month=May", nil, [visitors]int{login, 403, 400, 403, 403, 400}}},
		"GET /fat/stats/csv":                   {{"GET", "/fat/stats/csv", nil, statistics}},
		"GET /fat/stats/corporations/{id}":     {{"GET", "/fat/stats/corporations/98000001", nil, statistics}},
		"GET /fat/stats/corporations/{id}/csv": {{"GET", "/fat/stats/corporations/98000001/csv", nil, statistics}},
	}
}

func init() { rowsets = append(rowsets, fatRows) }
