// Package xenforosim is Keepstar's simulated XenForo forum as the
// third-party XenAPI (api.php, by Contex, for XenForo 1.x) exposes it: the
// one endpoint Alliance Auth's XenForo connector and Keepstar's speak.
// Server is an http.Handler (httptest, the demo).
//
// It follows api.php's rules: the arguments come from the query string of
// a GET or the form body of a POST, their names case-insensitive; an
// unchanged key ("API_KEY") gives error 17, a missing hash 3, an empty one
// 1, a wrong one 6 (whose message repeats the hash given, as XenAPI's
// does), a missing or empty action 3 or 1, an unknown one 2. Errors are
// HTTP 400 with {"error": n, "message": …}; the user errors of register and
// editUser are error 7 ("Something went wrong when …") with user_error_id,
// user_error_field, user_error_key and user_error_phrase (2 group not
// found, 6 editing super admins is disabled, 8 already a member of the
// group(s), 12 not a member, 31 invalid password, 32/33 name too short or
// long, 37 control characters, 38 comma, 39 resembles an email, 40
// username taken, 41 invalid email, 42 email taken, 49 invalid value).
//
// Actions: register (username, password, email required; group, add_groups,
// user_state, visible optional), editUser (user by id, name or email;
// group, add_groups, remove_groups as comma lists of group ids or titles;
// username, password, email, user_state, visible; nothing to change is
// error 8), getUser (value by id, name or email; no password data) and
// getGroup (by id, title or user title). XenForo's username rules are its
// defaults: 3 to 25 characters, no comma, no control characters, nothing
// that looks like an email address; usernames and emails are unique
// without regard to case. User 1 is the forum's super admin.
//
// Tests read what it holds (Users, User, Login checks a password) and every
// request's query string and body as a web server would log them (Log).
package xenforosim
