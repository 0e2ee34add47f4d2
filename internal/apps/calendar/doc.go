// Package calendar is each member's calendar feed: an iCalendar file
// (RFC 5545) at a secret link, of the events the other features give
// through feature.Feature.Calendar (structure timers, fleet operations),
// so that a member sees them in the calendar of their phone.
//
// The link carries a random secret; only its SHA-256 hash is stored, so
// the page shows a link once, when it is made, and a new link (renewed)
// kills the old one. The feed reads the member's rights afresh on every
// fetch: what they may no longer see leaves their calendar at its next
// refresh, and a deactivated account's feed is gone.
package calendar
