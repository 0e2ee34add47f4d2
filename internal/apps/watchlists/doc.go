// Package watchlists is Neucore's watchlists as a Keepstar app: lists of
// watched corporations and alliances, with exemptions, a kicklist and an
// allowlist, the groups whose members view or manage each list, the
// settings lock, and the auto-allowlist job. The warning list is the
// accounts with a character in a watched entity and another in a player
// corporation neither watched nor allowlisted; the kicklist view is those
// of them with a character in a kicklist entity. The watchlist and
// watchlist-manager roles follow the view and manager groups' members.
package watchlists
