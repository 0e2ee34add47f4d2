// Package affiliations keeps what Keepstar knows of EVE's corporations and
// alliances (names, tickers, the alliance of each corporation) in the
// tables eve_corporations and eve_alliances, and looks up which
// corporation, alliance and faction characters are in, through ESI. It asks
// for a corporation or alliance only when it is new or its entry is older
// than a day; ESI's own cache rules apply beneath that (internal/eve/esi).
// What characters belong to is applied by internal/accounts.
package affiliations
