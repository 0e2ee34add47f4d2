// Package corpstats is Corporation Stats, Alliance Auth's: for a
// corporation without a director's token, a member's token with
// esi-corporations.read_corporation_membership.v1 lists its members
// (GET /corporations/{id}/members, names through /universe/names), and the
// pages show who of them is registered, with which main, which mains have
// which alts, and who is not registered; a search runs across every Corp
// Stats the viewer may see. Who sees one follows Alliance Auth's
// permissions (own corporation, own alliance, own state, all, evaluated
// against the viewer's main), and its adder always sees it.
//
// One data set: while member tracking (internal/apps/tracking) holds a
// current read of the same corporation, a Corp Stats shows that
// (source 'tracking') and asks ESI nothing. Otherwise a read waits for
// ESI's answer to expire; a token that fails (invalid, without the scope,
// its character gone from the corporation) is replaced by another member's
// valid token, and when none works the last members stay, the error is
// shown and the adder notified once (Alliance Auth deletes the Corp Stats).
package corpstats
