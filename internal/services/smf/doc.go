// Package smf is Keepstar's Simple Machines Forum (SMF 2.1) connector
// type: Keepstar writes the members' users straight into the forum's
// MySQL/MariaDB tables (package forumdb), as Alliance Auth does, but with
// SMF 2.1's own password hash and in one transaction per change.
//
// Create makes the member (members: member_name the login, real_name the
// formatted display name stored HTML-escaped as SMF stores it, passwd
// bcrypt of the lower-cased member_name followed by the password as SMF's
// hash_password makes it, a new password_salt, the EVE portrait as avatar
// when the instance says so) or takes back the one of that member_name
// Keepstar disabled before. Groups are SMF's additional_groups list of
// ids: only the groups Keepstar manages are added or taken out, the ids
// SMF or its admins put there for other groups stay (Alliance Auth
// rewrites the whole list). Remove disables without deleting: the
// password made unusable and the salt changed (which ends every login
// cookie and session, as SMF checks them against both on each page), the
// member's online row removed, Keepstar's groups taken out; the posts
// stay. See docs/services-forums.md and decision 0032.
package smf
