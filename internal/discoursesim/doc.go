// Package discoursesim is Keepstar's simulated Discourse forum: the parts
// of Discourse a DiscourseConnect provider and an admin API client meet,
// over HTTP (Server is an http.Handler, for httptest and the demo).
//
// DiscourseConnect as Discourse speaks it (discourse_connect_base.rb, meta
// topic 13045): GET /session/sso makes a nonce bound to the browser's
// session and sends the browser to the provider with sso=<base64 payload
// "nonce=…&return_sso_url=…"> and sig=<hex HMAC-SHA256 of the base64 text
// under the connect secret>. GET /session/sso_login takes the provider's
// answer: it refuses base64 with characters outside A–Z a–z 0–9 + / = CR LF,
// a signature that does not match, a nonce it did not make for this
// browser, one older than 10 minutes, and one already used (used nonces are
// remembered 24 hours); it requires external_id, finds the user by
// external_id and then by email, makes one (email required) or updates it,
// applies add_groups and remove_groups to the forum's own groups (automatic
// groups and unknown names are ignored, as Discourse does), records admin
// and moderator when a payload sets them, refuses a suspended user, and logs
// the browser in.
//
// The admin API (headers Api-Key and Api-Username; an unknown key or a user
// who is not an admin gets 403): POST /admin/users/sync_sso (the same signed
// payload, no nonce), GET /users/by-external/{id}.json, POST
// /admin/users/{id}/log_out, PUT /admin/users/{id}/suspend (suspend_until and
// reason required), PUT /admin/users/{id}/unsuspend, GET /groups.json, POST
// /admin/groups.json, PUT and DELETE /groups/{id}/members.json.
//
// Limits (meta topic 78612): the admin API takes 60 requests a minute,
// shared by every admin key, and the rest 50 requests per 10 seconds per
// address; the next request gets 429 with Retry-After (seconds) and
// Discourse's rate_limit error body. Tests shorten the windows.
//
// It is stricter than Discourse in one place, on purpose: a username that
// breaks Discourse's rules (3 to 20 characters of A–Z a–z 0–9 _ . -,
// beginning with a letter, digit or underscore, ending with a letter or
// digit, no two of _ . - in a row, no file-like ending such as .json) is
// refused, where Discourse would quietly make up another; so a test proves
// Keepstar's names need no repair. A taken username gets a number, as
// Discourse's suggester does.
//
// Handler's "/" is an HTML page for demos: the users, their groups and
// whether they are suspended, and a link to log in.
package discoursesim
