// Package affiliations keeps what Keepstar knows of EVE's corporations and
// alliances (names, tickers, the alliance of each corporation) in the
// tables eve_corporations and eve_alliances, and looks up which
// corporation, alliance and faction characters are in, through ESI.
//
// A corporation or alliance is read from ESI when it is new, when an
// affiliation shows a corporation in another alliance than the one stored,
// or when it is stale: ESI's answer has expired and the entry is older than
// a day (Directory.stale says why). ESI's own cache rules apply beneath
// that (internal/eve/esi).
//
// The affiliations_sync job (Directory.Sync) goes through every character
// in chunks, each applied in one transaction by internal/accounts, and
// resumes from the last chunk applied when ESI's limits or an error
// interrupted it. It also keeps characters' names current (names.go), and
// records the ids ESI refuses as no character, which keep their account and
// last known affiliation (unknown.go).
package affiliations
