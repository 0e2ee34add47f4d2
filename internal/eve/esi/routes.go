package esi

import (
	"strings"
	"sync"
)

// The operations of ESI's specification (compatibility date 2026-08-18),
// as "METHOD /path/{param}", marked "public" when they need no token. The
// ESI proxy of the Application API names a call by its route (the gate
// learns limits, the metrics count calls by route) and refuses public
// routes; routes_test.go compares the table with the specification.
const specRoutes = `
GET /alliances public
GET /alliances/{alliance_id} public
GET /alliances/{alliance_id}/contacts
GET /alliances/{alliance_id}/contacts/labels
GET /alliances/{alliance_id}/corporations public
GET /alliances/{alliance_id}/icons public
POST /characters/affiliation public
GET /characters/{character_id} public
GET /characters/{character_id}/access-lists
GET /characters/{character_id}/access-lists/{access_list_id}
GET /characters/{character_id}/agents_research
GET /characters/{character_id}/assets
POST /characters/{character_id}/assets/locations
POST /characters/{character_id}/assets/names
GET /characters/{character_id}/attributes
GET /characters/{character_id}/blueprints
GET /characters/{character_id}/calendar
GET /characters/{character_id}/calendar/{event_id}
PUT /characters/{character_id}/calendar/{event_id}
GET /characters/{character_id}/calendar/{event_id}/attendees
GET /characters/{character_id}/clones
DELETE /characters/{character_id}/contacts
GET /characters/{character_id}/contacts
POST /characters/{character_id}/contacts
PUT /characters/{character_id}/contacts
GET /characters/{character_id}/contacts/labels
GET /characters/{character_id}/contracts
GET /characters/{character_id}/contracts/{contract_id}/bids
GET /characters/{character_id}/contracts/{contract_id}/items
GET /characters/{character_id}/corporationhistory public
GET /characters/{character_id}/cosmetics/skinr
GET /characters/{character_id}/cosmetics/skinr/components
POST /characters/{character_id}/cspa
GET /characters/{character_id}/fatigue
GET /characters/{character_id}/fittings
POST /characters/{character_id}/fittings
DELETE /characters/{character_id}/fittings/{fitting_id}
GET /characters/{character_id}/fleet
GET /characters/{character_id}/freelance-jobs
GET /characters/{character_id}/freelance-jobs/{job_id}/participation
GET /characters/{character_id}/fw/stats
GET /characters/{character_id}/implants
GET /characters/{character_id}/industry/jobs
GET /characters/{character_id}/killmails/recent
GET /characters/{character_id}/location
GET /characters/{character_id}/loyalty/points
GET /characters/{character_id}/mail
POST /characters/{character_id}/mail
GET /characters/{character_id}/mail/labels
POST /characters/{character_id}/mail/labels
DELETE /characters/{character_id}/mail/labels/{label_id}
GET /characters/{character_id}/mail/lists
DELETE /characters/{character_id}/mail/{mail_id}
GET /characters/{character_id}/mail/{mail_id}
PUT /characters/{character_id}/mail/{mail_id}
GET /characters/{character_id}/medals
GET /characters/{character_id}/mercenary-tactical-operations
GET /characters/{character_id}/mercenary-tactical-operations/{operation_id}
GET /characters/{character_id}/military-campaigns/objectives
GET /characters/{character_id}/military-campaigns/objectives/{objective_id}
GET /characters/{character_id}/mining
GET /characters/{character_id}/notifications
GET /characters/{character_id}/notifications/contacts
GET /characters/{character_id}/online
GET /characters/{character_id}/orders
GET /characters/{character_id}/orders/history
GET /characters/{character_id}/paragon-hub/skinr
GET /characters/{character_id}/planets
GET /characters/{character_id}/planets/{planet_id}
GET /characters/{character_id}/portrait public
GET /characters/{character_id}/roles
GET /characters/{character_id}/search
GET /characters/{character_id}/ship
GET /characters/{character_id}/skillqueue
GET /characters/{character_id}/skills
GET /characters/{character_id}/standings
GET /characters/{character_id}/structures/mercenary-dens
GET /characters/{character_id}/structures/mercenary-dens/{mercenary_den_id}
GET /characters/{character_id}/titles
GET /characters/{character_id}/wallet
GET /characters/{character_id}/wallet/journal
GET /characters/{character_id}/wallet/transactions
GET /contracts/public/bids/{contract_id} public
GET /contracts/public/items/{contract_id} public
GET /contracts/public/{region_id} public
GET /corporation/{corporation_id}/mining/extractions
GET /corporation/{corporation_id}/mining/observers
GET /corporation/{corporation_id}/mining/observers/{observer_id}
GET /corporations/npccorps public
GET /corporations/{corporation_id} public
GET /corporations/{corporation_id}/alliancehistory public
GET /corporations/{corporation_id}/assets
POST /corporations/{corporation_id}/assets/locations
POST /corporations/{corporation_id}/assets/names
GET /corporations/{corporation_id}/blueprints
GET /corporations/{corporation_id}/contacts
GET /corporations/{corporation_id}/contacts/labels
GET /corporations/{corporation_id}/containers/logs
GET /corporations/{corporation_id}/contracts
GET /corporations/{corporation_id}/contracts/{contract_id}/bids
GET /corporations/{corporation_id}/contracts/{contract_id}/items
GET /corporations/{corporation_id}/customs_offices
GET /corporations/{corporation_id}/divisions
GET /corporations/{corporation_id}/facilities
GET /corporations/{corporation_id}/freelance-jobs
GET /corporations/{corporation_id}/freelance-jobs/{job_id}/participants
GET /corporations/{corporation_id}/fw/stats
GET /corporations/{corporation_id}/icons public
GET /corporations/{corporation_id}/industry/jobs
GET /corporations/{corporation_id}/killmails/recent
GET /corporations/{corporation_id}/medals
GET /corporations/{corporation_id}/medals/issued
GET /corporations/{corporation_id}/members
GET /corporations/{corporation_id}/members/limit
GET /corporations/{corporation_id}/members/titles
GET /corporations/{corporation_id}/membertracking
GET /corporations/{corporation_id}/orders
GET /corporations/{corporation_id}/orders/history
GET /corporations/{corporation_id}/projects
GET /corporations/{corporation_id}/projects/{project_id}
GET /corporations/{corporation_id}/projects/{project_id}/contribution/{character_id}
GET /corporations/{corporation_id}/projects/{project_id}/contributors
GET /corporations/{corporation_id}/roles
GET /corporations/{corporation_id}/roles/history
GET /corporations/{corporation_id}/shareholders
GET /corporations/{corporation_id}/standings
GET /corporations/{corporation_id}/starbases
GET /corporations/{corporation_id}/starbases/{starbase_id}
GET /corporations/{corporation_id}/structures
GET /corporations/{corporation_id}/structures/skyhooks
GET /corporations/{corporation_id}/structures/skyhooks/{skyhook_id}
GET /corporations/{corporation_id}/structures/sovereignty-hubs
GET /corporations/{corporation_id}/structures/sovereignty-hubs/{sovereignty_hub_id}
GET /corporations/{corporation_id}/titles
GET /corporations/{corporation_id}/wallets
GET /corporations/{corporation_id}/wallets/{division}/journal
GET /corporations/{corporation_id}/wallets/{division}/transactions
GET /cosmetics/skinr/{skinr_id} public
GET /dogma/attributes public
GET /dogma/attributes/{attribute_id} public
GET /dogma/dynamic/items/{type_id}/{item_id} public
GET /dogma/effects public
GET /dogma/effects/{effect_id} public
GET /fleets/{fleet_id}
PUT /fleets/{fleet_id}
GET /fleets/{fleet_id}/members
POST /fleets/{fleet_id}/members
DELETE /fleets/{fleet_id}/members/{member_id}
PUT /fleets/{fleet_id}/members/{member_id}
DELETE /fleets/{fleet_id}/squads/{squad_id}
PUT /fleets/{fleet_id}/squads/{squad_id}
GET /fleets/{fleet_id}/wings
POST /fleets/{fleet_id}/wings
DELETE /fleets/{fleet_id}/wings/{wing_id}
PUT /fleets/{fleet_id}/wings/{wing_id}
POST /fleets/{fleet_id}/wings/{wing_id}/squads
GET /freelance-jobs public
GET /freelance-jobs/{job_id} public
GET /fw/leaderboards public
GET /fw/leaderboards/characters public
GET /fw/leaderboards/corporations public
GET /fw/stats public
GET /fw/systems public
GET /fw/wars public
GET /incursions public
GET /industry/facilities public
GET /industry/systems public
GET /insurance/prices public
GET /killmails/{killmail_id}/{killmail_hash} public
GET /loyalty/stores/{corporation_id}/offers public
GET /markets/groups public
GET /markets/groups/{market_group_id} public
GET /markets/prices public
GET /markets/structures/{structure_id}
GET /markets/{region_id}/history public
GET /markets/{region_id}/orders public
GET /markets/{region_id}/types public
GET /meta/changelog public
GET /meta/compatibility-dates public
GET /meta/name public
GET /meta/status public
GET /military-campaigns public
GET /military-campaigns/{campaign_id} public
GET /military-campaigns/{campaign_id}/objectives public
GET /military-campaigns/{campaign_id}/objectives/{objective_id} public
GET /paragon-hub/skinr public
GET /paragon-hub/skinr/alliances/{alliance_id}
GET /paragon-hub/skinr/characters/{character_id}
GET /paragon-hub/skinr/corporations/{corporation_id}
POST /route/{origin_system_id}/{destination_system_id} public
GET /skyhooks/raidable public
GET /sovereignty/campaigns public
GET /sovereignty/systems public
GET /status public
POST /ui/autopilot/waypoint
POST /ui/openwindow/contract
POST /ui/openwindow/information
POST /ui/openwindow/marketdetails
POST /ui/openwindow/newmail
GET /universe/ancestries public
GET /universe/asteroid_belts/{asteroid_belt_id} public
GET /universe/bloodlines public
GET /universe/categories public
GET /universe/categories/{category_id} public
GET /universe/constellations public
GET /universe/constellations/{constellation_id} public
GET /universe/factions public
GET /universe/graphics public
GET /universe/graphics/{graphic_id} public
GET /universe/groups public
GET /universe/groups/{group_id} public
POST /universe/ids public
GET /universe/moons/{moon_id} public
POST /universe/names public
GET /universe/planets/{planet_id} public
GET /universe/races public
GET /universe/regions public
GET /universe/regions/{region_id} public
GET /universe/schematics/{schematic_id} public
GET /universe/stargates/{stargate_id} public
GET /universe/stars/{star_id} public
GET /universe/stations/{station_id} public
GET /universe/structures public
GET /universe/structures/{structure_id}
GET /universe/system_jumps public
GET /universe/system_kills public
GET /universe/systems public
GET /universe/systems/{system_id} public
GET /universe/types public
GET /universe/types/{type_id} public
GET /wars public
GET /wars/{war_id} public
GET /wars/{war_id}/killmails public
`

// retiredPublicPaths were public in the specification Neucore 2.13.1's list
// of public routes came from; ESI has dropped them since, and the proxy
// refuses them as Neucore does.
var retiredPublicPaths = []string{"/sovereignty/map", "/sovereignty/structures"}

// paramKind is what a path segment must be to fill a route's parameter.
type paramKind int

const (
	literal     paramKind = iota
	integer               // most ids: digits
	hexadecimal           // killmail hashes
	text                  // UUIDs and names: any segment
)

// paramKinds are the parameters that are not integers in the
// specification; every other one is.
var paramKinds = map[string]paramKind{
	"killmail_hash": hexadecimal,
	"campaign_id":   text,
	"job_id":        text,
	"objective_id":  text,
	"operation_id":  text,
	"project_id":    text,
	"skinr_id":      text,
}

type segment struct {
	kind    paramKind
	literal string
}

func (s segment) matches(v string) bool {
	switch s.kind {
	case literal:
		return v == s.literal
	case integer:
		return v != "" && strings.Trim(v, "0123456789") == ""
	case hexadecimal:
		return v != "" && strings.Trim(v, "0123456789abcdefABCDEF") == ""
	}
	return v != ""
}

type specRoute struct {
	route    string // "GET /characters/{character_id}"
	segments []segment
	literals int
}

// match tells whether the route's path matches the path's segments.
func (r *specRoute) match(parts []string) bool {
	if len(parts) != len(r.segments) {
		return false
	}
	for i, s := range r.segments {
		if !s.matches(parts[i]) {
			return false
		}
	}
	return true
}

type routeTable struct {
	byMethod map[string][]*specRoute
	public   []*specRoute // public routes of any method, and the retired ones
}

var routeIndex = sync.OnceValue(func() *routeTable {
	t := &routeTable{byMethod: map[string][]*specRoute{}}
	parse := func(route, path string) *specRoute {
		r := &specRoute{route: route}
		for _, p := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if name, ok := strings.CutPrefix(p, "{"); ok {
				kind, found := paramKinds[strings.TrimSuffix(name, "}")]
				if !found {
					kind = integer
				}
				r.segments = append(r.segments, segment{kind: kind})
				continue
			}
			r.segments = append(r.segments, segment{literal: p})
			r.literals++
		}
		return r
	}
	for _, line := range strings.Split(strings.TrimSpace(specRoutes), "\n") {
		f := strings.Fields(line)
		r := parse(f[0]+" "+f[1], f[1])
		t.byMethod[f[0]] = append(t.byMethod[f[0]], r)
		if len(f) == 3 && f[2] == "public" {
			t.public = append(t.public, r)
		}
	}
	for _, p := range retiredPublicPaths {
		t.public = append(t.public, parse("GET "+p, p))
	}
	return t
})

// legacyPrefixes are the version names ESI still serves before a route's
// path besides "/v1".."/v6" (its Swagger 2.0 specification's base paths).
var legacyPrefixes = []string{"/latest/", "/legacy/", "/dev/"}

// pathSegments splits a path as ESI's routes see it: without the version
// the legacy routes put before it ("/latest", "/legacy", "/dev", "/v3"),
// as Neucore strips it, and without a slash at its end.
func pathSegments(path string) []string {
	stripped := false
	for _, prefix := range legacyPrefixes {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			path, stripped = "/"+rest, true
			break
		}
	}
	if !stripped && len(path) > 2 && path[1] == 'v' {
		if i := strings.IndexByte(path[1:], '/'); i > 1 && strings.Trim(path[2:i+1], "0123456789") == "" {
			path = path[i+1:]
		}
	}
	return strings.Split(strings.TrimPrefix(strings.TrimSuffix(path, "/"), "/"), "/")
}

// RouteOf names the ESI route that a call of method on path (without its
// query; legacy version and trailing slash allowed) belongs to, as
// Request.Route takes it: "GET /characters/{character_id}/roles". ok is
// false when the specification has no such route.
func RouteOf(method, path string) (route string, ok bool) {
	parts := pathSegments(path)
	var best *specRoute
	for _, r := range routeIndex().byMethod[method] {
		if r.match(parts) && (best == nil || r.literals > best.literals) {
			best = r
		}
	}
	if best == nil {
		return "", false
	}
	return best.route, true
}

// IsPublic tells whether path (without its query) is one of ESI's public
// routes, whatever the method: those need no token, and the Application
// API's proxy refuses them, as Neucore's does.
func IsPublic(path string) bool {
	parts := pathSegments(path)
	for _, r := range routeIndex().public {
		if r.match(parts) {
			return true
		}
	}
	return false
}
