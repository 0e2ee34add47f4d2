package esi

import "time"

// route is one simulated operation with the facts the spec's vendor
// extensions give about it. The conformance test compares these with the
// spec, so a drift in CCP's spec shows up as a failing test.
type route struct {
	pattern      string   // method and path, as http.ServeMux takes it
	scope        string   // OAuth scope; empty for public routes
	roles        []string // x-required-roles: the caller needs one of them
	cacheSeconds int      // x-cache-age; 0 when the spec gives none
	group        string   // x-rate-limit group; empty: legacy error limit
	maxTokens    int
	window       time.Duration
	windowText   string // the window as the spec writes it ("15m")
	handle       handlerFunc
}

// bucketed sets a route's rate-limit group.
func (rt *route) bucketed(group string, maxTokens int, window string) *route {
	d, err := time.ParseDuration(window)
	if err != nil {
		panic("esi: bad window " + window) // the table below is constant
	}
	rt.group, rt.maxTokens, rt.window, rt.windowText = group, maxTokens, d, window
	return rt
}

// routeTable lists the simulated routes, with the metadata of
// esi-routes.csv (compatibility date 2026-08-18). None of them is paged in
// that spec, so none sends X-Pages.
func (s *Server) routeTable() []*route {
	const (
		membership = "esi-corporations.read_corporation_membership.v1"
		readFleet  = "esi-fleets.read_fleet.v1"
		corpTitles = "esi-corporations.read_titles.v1"
	)
	return []*route{
		// Public.
		(&route{pattern: "GET /status", cacheSeconds: 30, handle: s.status}).bucketed("status", 600, "15m"),
		{pattern: "GET /characters/{character_id}", cacheSeconds: 86400, handle: s.character},
		{pattern: "GET /characters/{character_id}/corporationhistory", cacheSeconds: 86400, handle: s.corporationHistory},
		{pattern: "POST /characters/affiliation", cacheSeconds: 3600, handle: s.affiliation},
		{pattern: "GET /corporations/{corporation_id}", cacheSeconds: 3600, handle: s.corporation},
		{pattern: "GET /alliances", cacheSeconds: 3600, handle: s.alliances},
		{pattern: "GET /alliances/{alliance_id}", cacheSeconds: 3600, handle: s.alliance},
		{pattern: "GET /alliances/{alliance_id}/corporations", cacheSeconds: 3600, handle: s.allianceCorporations},
		{pattern: "POST /universe/names", handle: s.names},
		{pattern: "POST /universe/ids", handle: s.ids},
		{pattern: "GET /universe/systems/{system_id}", handle: s.system},
		{pattern: "GET /universe/types/{type_id}", handle: s.itemType},
		{pattern: "GET /markets/prices", cacheSeconds: 3600, handle: s.marketPrices},
		(&route{pattern: "GET /killmails/{killmail_id}/{killmail_hash}", cacheSeconds: 2592000,
			handle: s.killmailByHash}).bucketed("killmail", 3600, "15m"),

		// Corporation, with the caller's membership (and roles) checked.
		(&route{pattern: "GET /corporations/{corporation_id}/members", scope: membership, cacheSeconds: 3600,
			handle: s.corporationMembers}).bucketed("corp-member", 300, "15m"),
		(&route{pattern: "GET /corporations/{corporation_id}/membertracking", scope: "esi-corporations.track_members.v1",
			roles: []string{"Director"}, cacheSeconds: 3600, handle: s.memberTracking}).bucketed("corp-member", 300, "15m"),
		(&route{pattern: "GET /corporations/{corporation_id}/roles", scope: membership, cacheSeconds: 3600,
			handle: s.corporationRoles}).bucketed("corp-member", 300, "15m"),
		(&route{pattern: "GET /corporations/{corporation_id}/titles", scope: corpTitles, roles: []string{"Director"},
			cacheSeconds: 3600, handle: s.corporationTitles}).bucketed("corp-detail", 300, "15m"),
		(&route{pattern: "GET /corporations/{corporation_id}/members/titles", scope: corpTitles, roles: []string{"Director"},
			cacheSeconds: 3600, handle: s.corporationMemberTitles}).bucketed("corp-member", 300, "15m"),

		// Character, for the token's own character.
		(&route{pattern: "GET /characters/{character_id}/roles", scope: "esi-characters.read_corporation_roles.v1",
			cacheSeconds: 3600, handle: s.characterRoles}).bucketed("char-detail", 600, "15m"),
		(&route{pattern: "GET /characters/{character_id}/titles", scope: "esi-characters.read_titles.v1",
			cacheSeconds: 3600, handle: s.characterTitles}).bucketed("char-detail", 600, "15m"),
		(&route{pattern: "GET /characters/{character_id}/location", scope: "esi-location.read_location.v1",
			cacheSeconds: 5, handle: s.location}).bucketed("char-location", 1200, "15m"),
		(&route{pattern: "GET /characters/{character_id}/ship", scope: "esi-location.read_ship_type.v1",
			cacheSeconds: 5, handle: s.ship}).bucketed("char-location", 1200, "15m"),
		(&route{pattern: "GET /characters/{character_id}/online", scope: "esi-location.read_online.v1",
			cacheSeconds: 60, handle: s.online}).bucketed("char-location", 1200, "15m"),
		(&route{pattern: "GET /characters/{character_id}/fleet", scope: readFleet,
			cacheSeconds: 60, handle: s.characterFleet}).bucketed("fleet", 1800, "15m"),
		(&route{pattern: "POST /characters/{character_id}/mail", scope: "esi-mail.send_mail.v1",
			handle: s.sendMail}).bucketed("char-social", 600, "15m"),

		// Fleets, for their boss only.
		(&route{pattern: "GET /fleets/{fleet_id}", scope: readFleet, cacheSeconds: 5, handle: s.fleet}).bucketed("fleet", 1800, "15m"),
		(&route{pattern: "GET /fleets/{fleet_id}/members", scope: readFleet, cacheSeconds: 5,
			handle: s.fleetMembers}).bucketed("fleet", 1800, "15m"),
		(&route{pattern: "GET /fleets/{fleet_id}/wings", scope: readFleet, cacheSeconds: 5,
			handle: s.fleetWings}).bucketed("fleet", 1800, "15m"),
	}
}
