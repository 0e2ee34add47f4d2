// Package phpbb3 is Keepstar's phpBB 3 connector type (3.1 to 3.3):
// Keepstar writes the members' users straight into the forum's
// MySQL/MariaDB tables (package forumdb), as Alliance Auth does, but as
// phpBB's own user_add would and in one transaction per change.
//
// Create makes the user (the formatted name as username, username_clean
// as phpBB's utf8_clean_string computes it so that the member logs in
// with the name shown, a bcrypt $2y$ hash at phpBB's cost, the primary
// group with its user_group row, the board's defaults, the EVE portrait as
// remote avatar when the instance says so) or takes back the user of that
// username_clean Keepstar disabled before (never a founder or a bot, nor
// one another member here holds). Apply reads the user and its groups in
// one statement and writes only what differs, clearing phpBB's permission
// cache when groups changed; phpBB's own groups (GROUP_SPECIAL) and the
// groups the Want keeps are never touched. Remove disables without
// deleting: inactive as an admin's deactivation, the password unusable,
// sessions and "remember me" keys deleted, Keepstar's groups taken away;
// the posts stay. Observe, Groups and Check read the forum back. See
// docs/services-forums.md and decision 0032.
package phpbb3
