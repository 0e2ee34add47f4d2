// Package xenforo is Keepstar's XenForo connector type (Type: one service
// instance per forum), the connector Alliance Auth has, over the
// third-party XenAPI add-on (api.php, XenForo 1.x).
//
// Create registers the member (action register: the username from the
// formatted name, XenForo's rules applied; the password Keepstar shows
// once; a placeholder address keepstar-<account>@<domain>; the member
// group) and gives their groups. A user with that placeholder address is
// the member's from before (they lost access): it is taken back with the
// new password, as Alliance Auth reactivates on error 7; a name another
// user has gets the account's number, where Alliance Auth would reset the
// password of whoever had the name. SetPassword is editUser's password.
// Apply reads the user (getUser) and sends one editUser with the groups to
// add and remove, since XenAPI refuses adding a group the user has and
// removing one they lack; group ids are found by title (getGroup) and
// cached for ten minutes. Remove takes Keepstar's groups and the member
// group away and sets a random password, in one editUser: the user and
// their posts stay. XenAPI cannot make groups: Check names the missing
// ones.
//
// Every call is a POST (XenAPI reads a POST's body as a GET's query), so
// the key and passwords are not in URLs; the key is scrubbed from errors,
// as XenAPI repeats a refused one. See docs/services-xenforo.md and
// decision 0034.
package xenforo
