// Package names lets administrators name EVE characters, corporations,
// alliances and factions by their names where Keepstar stores their ids
// (the members of states, the corporations and alliances of groups, the
// deactivation filters; later the watchlists).
//
// It owns the lookup behind the "type a name" widget (GET /api/eve/names:
// names starting with what was typed, from what Keepstar knows, and the
// exact name through ESI's POST /universe/ids), the resolution of names
// typed into such a field when the form is saved (Resolver.Resolve), and
// the widget's script (internal/web/static/eve-names.js, served by the web
// package with the other assets). A field stays a plain list of ids: without
// JavaScript an administrator types ids, or names, one a line.
package names
