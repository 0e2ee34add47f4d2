// The scopes and in-game roles of the ESI specification
// (esi-openapi-3.0-2026-08-18.json, compatibility date 2026-08-18), copied
// here so that the binary needs no spec; TestCatalogueMatchesSpec compares
// them with the spec in the shared reference folder, so a new spec that
// adds or drops one fails it until this file follows.

package logins

import (
	"slices"
	"strings"
)

// Scope is an ESI scope with what it gives access to: the summaries of the
// routes that need it, in ESI's words (the spec's own descriptions of the
// scopes are their names).
type Scope struct {
	Name   string
	Routes []string
}

// Scopes are every scope of the ESI specification, sorted by name.
var Scopes = []Scope{
	{"esi-access.read_lists.v1", []string{"List Access Lists", "Get Access List details"}},
	{"esi-activities.read_character.v1", []string{"List Mercenary Tactical Operations", "Get Mercenary Tactical Operation details"}},
	{"esi-alliances.read_contacts.v1", []string{"Get alliance contacts", "Get alliance contact labels"}},
	{"esi-assets.read_assets.v1", []string{"Get character assets", "Get character asset locations", "Get character asset names"}},
	{"esi-assets.read_corporation_assets.v1", []string{"Get corporation assets", "Get corporation asset locations", "Get corporation asset names"}},
	{"esi-calendar.read_calendar_events.v1", []string{"List calendar event summaries", "Get an event", "Get attendees"}},
	{"esi-calendar.respond_calendar_events.v1", []string{"Respond to an event"}},
	{"esi-characters.read_agents_research.v1", []string{"Get agents research"}},
	{"esi-characters.read_blueprints.v1", []string{"Get blueprints"}},
	{"esi-characters.read_contacts.v1", []string{"Get contacts", "Get contact labels", "Calculate a CSPA charge cost"}},
	{"esi-characters.read_corporation_roles.v1", []string{"Get character corporation roles"}},
	{"esi-characters.read_fatigue.v1", []string{"Get jump fatigue"}},
	{"esi-characters.read_freelance_jobs.v1", []string{"List character freelance jobs", "Get character freelance job participation"}},
	{"esi-characters.read_fw_stats.v1", []string{"Overview of a character involved in faction warfare"}},
	{"esi-characters.read_loyalty.v1", []string{"Get loyalty points"}},
	{"esi-characters.read_medals.v1", []string{"Get medals"}},
	{"esi-characters.read_notifications.v1", []string{"Get character notifications", "Get new contact notifications"}},
	{"esi-characters.read_standings.v1", []string{"Get standings"}},
	{"esi-characters.read_titles.v1", []string{"Get character corporation titles"}},
	{"esi-characters.write_contacts.v1", []string{"Add contacts", "Edit contacts", "Delete contacts"}},
	{"esi-clones.read_clones.v1", []string{"Get clones"}},
	{"esi-clones.read_implants.v1", []string{"Get active implants"}},
	{"esi-contracts.read_character_contracts.v1", []string{"Get contracts", "Get contract bids", "Get contract items"}},
	{"esi-contracts.read_corporation_contracts.v1", []string{"Get corporation contracts", "Get corporation contract bids", "Get corporation contract items"}},
	{"esi-corporations.read_blueprints.v1", []string{"Get corporation blueprints"}},
	{"esi-corporations.read_contacts.v1", []string{"Get corporation contacts", "Get corporation contact labels"}},
	{"esi-corporations.read_container_logs.v1", []string{"Get all corporation ALSC logs"}},
	{"esi-corporations.read_corporation_membership.v1", []string{"Get corporation members", "Get corporation member roles", "Get corporation member roles history"}},
	{"esi-corporations.read_divisions.v1", []string{"Get corporation divisions"}},
	{"esi-corporations.read_facilities.v1", []string{"Get corporation facilities"}},
	{"esi-corporations.read_freelance_jobs.v1", []string{"List corporation freelance jobs", "List participants of a freelance job"}},
	{"esi-corporations.read_fw_stats.v1", []string{"Overview of a corporation involved in faction warfare"}},
	{"esi-corporations.read_medals.v1", []string{"Get corporation medals", "Get corporation issued medals"}},
	{"esi-corporations.read_projects.v1", []string{"List corporation projects", "Get project details", "Get your project contribution", "List project contributors"}},
	{"esi-corporations.read_standings.v1", []string{"Get corporation standings"}},
	{"esi-corporations.read_starbases.v1", []string{"Get corporation starbases (POSes)", "Get starbase (POS) detail"}},
	{"esi-corporations.read_structures.v1", []string{"Get corporation structures"}},
	{"esi-corporations.read_titles.v1", []string{"Get corporation's members' titles", "Get corporation titles"}},
	{"esi-corporations.track_members.v1", []string{"Get corporation member limit", "Track corporation members"}},
	{"esi-fittings.read_fittings.v1", []string{"Get fittings"}},
	{"esi-fittings.write_fittings.v1", []string{"Create fitting", "Delete fitting"}},
	{"esi-fleets.read_fleet.v1", []string{"Get character fleet info", "Get fleet information", "Get fleet members", "Get fleet wings"}},
	{"esi-fleets.write_fleet.v1", []string{"Update fleet", "Create fleet invitation", "Move fleet member", "Kick fleet member", "Rename fleet squad", "Delete fleet squad", "Create fleet wing", "Rename fleet wing", "Delete fleet wing", "Create fleet squad"}},
	{"esi-industry.read_character_jobs.v1", []string{"List character industry jobs"}},
	{"esi-industry.read_character_mining.v1", []string{"Character mining ledger"}},
	{"esi-industry.read_corporation_jobs.v1", []string{"List corporation industry jobs"}},
	{"esi-industry.read_corporation_mining.v1", []string{"Moon extraction timers", "Corporation mining observers", "Observed corporation mining"}},
	{"esi-killmails.read_corporation_killmails.v1", []string{"Get a corporation's recent kills and losses"}},
	{"esi-killmails.read_killmails.v1", []string{"Get a character's recent kills and losses"}},
	{"esi-location.read_location.v1", []string{"Get character location"}},
	{"esi-location.read_online.v1", []string{"Get character online"}},
	{"esi-location.read_ship_type.v1", []string{"Get current ship"}},
	{"esi-mail.organize_mail.v1", []string{"Create a mail label", "Delete a mail label", "Update metadata about a mail", "Delete a mail"}},
	{"esi-mail.read_mail.v1", []string{"Return mail headers", "Get mail labels and unread counts", "Return mailing list subscriptions", "Return a mail"}},
	{"esi-mail.send_mail.v1", []string{"Send a new mail"}},
	{"esi-markets.read_character_orders.v1", []string{"List open orders from a character", "List historical orders by a character"}},
	{"esi-markets.read_corporation_orders.v1", []string{"List open orders from a corporation", "List historical orders from a corporation"}},
	{"esi-markets.structure_markets.v1", []string{"List orders in a structure"}},
	{"esi-planets.manage_planets.v1", []string{"Get colonies", "Get colony layout"}},
	{"esi-planets.read_customs_offices.v1", []string{"List corporation customs offices"}},
	{"esi-search.search_structures.v1", []string{"Search on a string"}},
	{"esi-skills.read_skillqueue.v1", []string{"Get character's skill queue"}},
	{"esi-skills.read_skills.v1", []string{"Get character attributes", "Get character skills"}},
	{"esi-structures.read_character.v1", []string{"List Mercenary Dens", "Get Mercenary Den details"}},
	{"esi-structures.read_corporation.v1", []string{"List Skyhooks", "Get Skyhook details", "List Sovereignty Hubs", "Get Sovereignty Hub details"}},
	{"esi-ui.open_window.v1", []string{"Open Contract Window", "Open Information Window", "Open Market Details", "Open New Mail Window"}},
	{"esi-ui.write_waypoint.v1", []string{"Set Autopilot Waypoint"}},
	{"esi-universe.read_structures.v1", []string{"Get structure information"}},
	{"esi-wallet.read_character_wallet.v1", []string{"Get a character's wallet balance", "Get character wallet journal", "Get wallet transactions"}},
	{"esi-wallet.read_corporation_wallets.v1", []string{"Get corporation shareholders", "Returns a corporation's wallet balance", "Get corporation wallet journal", "Get corporation wallet transactions"}},
	{"esi.activity.char:read", []string{"List character participation in military campaigns", "Get character military campaign objective participation"}},
	{"esi.cosmetic.char:read", []string{"List a character's owned SKINR licenses", "List a character's owned SKINR component licenses", "List a character's Paragon Hub SKINR listings", "List Paragon Hub SKINR listings targeted at an alliance", "List Paragon Hub SKINR listings targeted at a character", "List Paragon Hub SKINR listings targeted at a corporation"}},
}

// InGameRoles are the corporation roles of the ESI specification (the enum
// of GET /characters/{character_id}/roles).
var InGameRoles = []string{
	"Account_Take_1", "Account_Take_2", "Account_Take_3", "Account_Take_4", "Account_Take_5", "Account_Take_6",
	"Account_Take_7", "Accountant", "Auditor", "Brand_Manager", "Communications_Officer", "Config_Equipment",
	"Config_Starbase_Equipment", "Container_Take_1", "Container_Take_2", "Container_Take_3", "Container_Take_4",
	"Container_Take_5", "Container_Take_6", "Container_Take_7", "Contract_Manager", "Deliveries_Container_Take",
	"Deliveries_Query", "Deliveries_Take", "Diplomat", "Director", "Factory_Manager", "Fitting_Manager", "Hangar_Query_1",
	"Hangar_Query_2", "Hangar_Query_3", "Hangar_Query_4", "Hangar_Query_5", "Hangar_Query_6", "Hangar_Query_7",
	"Hangar_Take_1", "Hangar_Take_2", "Hangar_Take_3", "Hangar_Take_4", "Hangar_Take_5", "Hangar_Take_6", "Hangar_Take_7",
	"Junior_Accountant", "Personnel_Manager", "Project_Manager", "Rent_Factory_Facility", "Rent_Office",
	"Rent_Research_Facility", "Security_Officer", "Skill_Plan_Manager", "Starbase_Defense_Operator",
	"Starbase_Fuel_Technician", "Station_Manager", "Trader",
}

// KnownScope tells whether a scope is in the ESI specification.
func KnownScope(name string) bool {
	_, found := slices.BinarySearchFunc(Scopes, name, func(s Scope, name string) int { return strings.Compare(s.Name, name) })
	return found
}
