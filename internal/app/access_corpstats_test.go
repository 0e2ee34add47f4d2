package app_test

import (
	"net/url"
	"testing"
)

// corpstatsRows are the rows of Corp Stats: no visitor but the superuser
// holds a corpstats permission (superusers hold all, view_all included),
// and no visitor added one, so the others are refused every page; the
// superuser sees the list, is told there is no such Corp Stats, and is
// refused a form without a character.
func corpstatsRows(*testing.T, *matrixEnv) map[string][]check {
	refused := [visitors]int{login, 403, 403, 403, 403, 200}
	none := [visitors]int{login, 403, 403, 403, 403, 404}
	return map[string][]check{
		"GET /corpstats":              {{"GET", "/corpstats", nil, refused}},
		"GET /corpstats/search":       {{"GET", "/corpstats/search?q=a", nil, refused}},
		"GET /corpstats/add":          {{"GET", "/corpstats/add", nil, refused}},
		"POST /corpstats/add":         {{"POST", "/corpstats/add", url.Values{}, [visitors]int{login, 403, 403, 403, 403, 400}}},
		"GET /corpstats/{id}":         {{"GET", "/corpstats/98000001", nil, none}},
		"POST /corpstats/{id}/update": {{"POST", "/corpstats/98000001/update", nil, none}},
	}
}

func init() { rowsets = append(rowsets, corpstatsRows) }
