// Package evesim is Keepstar's simulated EVE Online: the universe
// (evesim/universe), EVE SSO v2 (evesim/sso), ESI (evesim/esi) and
// placeholder images (evesim/images) served together on one address, plus a
// control API with which tests and demos
// change the universe as players and CCP would (move, transfer, biomass a
// character, change roles and titles, form fleets, record killmails, move
// the clock). `keepstar evesim` runs it alone; `keepstar demo` runs it
// beside the site.
package evesim
