// Package mumble is Keepstar's Mumble connector type: Keepstar is the
// authenticator of a Mumble server (murmurd), from its own process, over
// ZeroC Ice (packages ice and murmur beneath this one).
//
// Alliance Auth keeps rows in its database and runs a separate Python
// process that answers murmurd's authentication calls from them; group
// changes wait for the member's next login and a removed member stays
// connected. Here the connector's Runner listens for murmurd's calls,
// registers itself as the authenticator of the instance's virtual server
// (again whenever the connection to murmurd is lost, so after murmurd or
// Keepstar restarts, and every 30 seconds in case murmurd dropped it after
// a failed call), and answers each login with one indexed read of
// mumble_users: the password checked against a keyed hash, the display
// name from the instance's name format, the groups (Keepstar's, mapped,
// and the state) that murmurd's ACLs then see. It turns murmurd's
// forceExternalAuth on, so that while no authenticator answers (Keepstar
// stopped, or murmurd restarted and not yet told again) logins are refused
// rather than let through to murmurd's own users and guests.
//
// Changes reach live sessions at once: Apply updates the row and then the
// groups of the member's connected sessions (addUserToGroup and
// removeUserFromGroup on the root channel); Remove deletes the row, so the
// next login is refused, and kicks every connected session of the user.
//
// The login name is the main character's name with the characters Murmur's
// default username rule refuses replaced by "_" (Alliance Auth's), fixed
// when the account is made; the password is Keepstar's (shown once) or the
// member's own. See docs/services-mumble.md and decision 0030.
package mumble
