// Package openfiresim is a fake Openfire for tests and the demo: the
// REST API plugin's routes under /plugins/restapi/v1 (users, a user's
// groups, groups, lockouts, sessions, the broadcast to online users), in
// JSON, with the plugin's status codes (201 on create, 200 on update and
// delete, 404 for an unknown user or group, 409 for a user or group that
// exists, 400 for a body it cannot use, 401 without the shared secret in
// the Authorization header), its quirk of writing a user's single group
// as a string ({"groupname": "x"}) and of taking one in a body, Openfire's
// rules for user names (trimmed, lower-cased, no characters a JID's local
// part cannot hold), and the lockout that ends a user's sessions.
//
// Beyond the API it has what members do with a client: Login checks a
// password (refused while locked out) and opens a session, which the
// broadcast reaches; and a page listing the users, their groups and
// whether they are locked, with a form to try a login, for the demo.
//
// It speaks JSON only: a request without Accept: application/json gets
// 406, where the plugin would answer in XML, so that a client relying on
// the default is caught.
package openfiresim
