// Package settings owns the settings an administrator changes at run time,
// in the web UI, as opposed to the start-up configuration of
// internal/config: the site's name, texts and logo, and each feature's
// switches (may alts log in, may users delete characters...).
//
// Each feature declares its settings as Definitions (name, kind, default,
// the message ids of its label and help) and the composition root collects
// them in a Registry, so the settings page is built from the definitions
// and no feature edits another's list. Values live in the settings table;
// a Store reads them all in one query and keeps the snapshot for a few
// seconds, because the page layout reads some of them on every request.
// Other processes sharing the database see a change within that time.
package settings
