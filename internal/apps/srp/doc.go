// Package srp is Alliance Auth's ship replacement: officers open SRP
// fleets (name, doctrine, time, fleet commander, a random code), members
// file their losses in them with a killmail link, and officers approve or
// reject each request with a payout and a comment; the member is notified
// in the site, and the approved payouts are exported as CSV for payment.
//
// The killmail is read from ESI, which gives it to whoever knows its id
// and hash: an ESI link carries both. A zKillboard link carries only the
// id; Keepstar's machines do not reach zKillboard, so such a request is
// kept with the id and waits for the member to add the ESI link, unless
// the site's setting lets Keepstar ask zKillboard's API for the hash. The
// victim must be one of the member's characters, and a killmail is
// refunded once (its id is unique across every request).
package srp
