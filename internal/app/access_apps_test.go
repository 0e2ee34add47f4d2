package app_test

import "testing"

// appsRows are the access matrix rows of the Application API: apps prove
// themselves with a bearer secret on every request, so every web visitor,
// logged in or not, superuser included, is refused with 401 (which the
// matrix counts as "sent to log in"). The API's own tests (internal/appapi)
// show the apps allowed and refused by role.
func appsRows(t *testing.T, e *matrixEnv) map[string][]check {
	noApp := [visitors]int{login, login, login, login, login, login}
	return map[string][]check{
		"GET /api/app/v1/show": {{"GET", "/api/app/v1/show", nil, noApp}},
		// app-groups (internal/appapi/groups.go)
		"GET /api/app/v1/groups/{cid}":            {{"GET", "/api/app/v1/groups/1", nil, noApp}},
		"GET /api/app/v2/groups/{cid}":            {{"GET", "/api/app/v2/groups/1", nil, noApp}},
		"POST /api/app/v1/groups":                 {{"POST", "/api/app/v1/groups", nil, noApp}},
		"GET /api/app/v1/corp-groups/{cid}":       {{"GET", "/api/app/v1/corp-groups/1", nil, noApp}},
		"GET /api/app/v2/corp-groups/{cid}":       {{"GET", "/api/app/v2/corp-groups/1", nil, noApp}},
		"POST /api/app/v1/corp-groups":            {{"POST", "/api/app/v1/corp-groups", nil, noApp}},
		"GET /api/app/v1/alliance-groups/{aid}":   {{"GET", "/api/app/v1/alliance-groups/1", nil, noApp}},
		"GET /api/app/v2/alliance-groups/{aid}":   {{"GET", "/api/app/v2/alliance-groups/1", nil, noApp}},
		"POST /api/app/v1/alliance-groups":        {{"POST", "/api/app/v1/alliance-groups", nil, noApp}},
		"GET /api/app/v1/groups-with-fallback":    {{"GET", "/api/app/v1/groups-with-fallback?character=1&corporation=1", nil, noApp}},
		"GET /api/app/v1/group-members/{groupId}": {{"GET", "/api/app/v1/group-members/1", nil, noApp}},

		// app-chars and app-tracking (internal/appapi/chars.go, tracking.go)
		"GET /api/app/v1/main/{cid}":                           {{"GET", "/api/app/v1/main/1", nil, noApp}},
		"GET /api/app/v2/main/{cid}":                           {{"GET", "/api/app/v2/main/1", nil, noApp}},
		"GET /api/app/v1/player/{characterId}":                 {{"GET", "/api/app/v1/player/1", nil, noApp}},
		"POST /api/app/v1/players":                             {{"POST", "/api/app/v1/players", nil, noApp}},
		"GET /api/app/v1/characters/{characterId}":             {{"GET", "/api/app/v1/characters/1", nil, noApp}},
		"POST /api/app/v1/characters":                          {{"POST", "/api/app/v1/characters", nil, noApp}},
		"POST /api/app/v1/character-list":                      {{"POST", "/api/app/v1/character-list", nil, noApp}},
		"GET /api/app/v1/player-chars/{playerId}":              {{"GET", "/api/app/v1/player-chars/1", nil, noApp}},
		"GET /api/app/v1/player-with-characters/{characterId}": {{"GET", "/api/app/v1/player-with-characters/1", nil, noApp}},
		"GET /api/app/v1/removed-characters/{characterId}":     {{"GET", "/api/app/v1/removed-characters/1", nil, noApp}},
		"GET /api/app/v1/incoming-characters/{characterId}":    {{"GET", "/api/app/v1/incoming-characters/1", nil, noApp}},
		"GET /api/app/v1/corp-players/{corporationId}":         {{"GET", "/api/app/v1/corp-players/1", nil, noApp}},
		"GET /api/app/v1/corp-characters/{corporationId}":      {{"GET", "/api/app/v1/corp-characters/1", nil, noApp}},
		"GET /api/app/v1/corporation/{id}/member-tracking":     {{"GET", "/api/app/v1/corporation/1/member-tracking", nil, noApp}},

		// app-esi-login, app-esi-token, app-esi-proxy (internal/appapi/esi.go, proxy.go)
		"GET /api/app/v1/esi/eve-login/{name}/characters": {{"GET", "/api/app/v1/esi/eve-login/core.default/characters", nil, noApp}},
		"GET /api/app/v1/esi/eve-login/{name}/token-data": {{"GET", "/api/app/v1/esi/eve-login/core.default/token-data", nil, noApp}},
		"GET /api/app/v1/esi/access-token/{characterId}":  {{"GET", "/api/app/v1/esi/access-token/1", nil, noApp}},
		"GET /api/app/v1/esi":                             {{"GET", "/api/app/v1/esi?esi-path-query=%2Fcharacters%2F1%2Froles&datasource=1", nil, noApp}},
		"GET /api/app/v1/esi/{path...}":                   {{"GET", "/api/app/v1/esi/characters/1/roles?datasource=1", nil, noApp}},
		"POST /api/app/v1/esi":                            {{"POST", "/api/app/v1/esi?esi-path-query=%2Fcharacters%2F1%2Fmail&datasource=1", nil, noApp}},
		"POST /api/app/v1/esi/{path...}":                  {{"POST", "/api/app/v1/esi/characters/1/mail?datasource=1", nil, noApp}},
		"GET /api/app/v2/esi":                             {{"GET", "/api/app/v2/esi?esi-path-query=%2Fcharacters%2F1%2Froles&datasource=1", nil, noApp}},
		"GET /api/app/v2/esi/{path...}":                   {{"GET", "/api/app/v2/esi/characters/1/roles?datasource=1", nil, noApp}},
		"POST /api/app/v2/esi":                            {{"POST", "/api/app/v2/esi?esi-path-query=%2Fcharacters%2F1%2Fmail&datasource=1", nil, noApp}},
		"POST /api/app/v2/esi/{path...}":                  {{"POST", "/api/app/v2/esi/characters/1/mail?datasource=1", nil, noApp}},
	}
}

func init() { rowsets = append(rowsets, appsRows) }
