// Package signin runs the EVE SSO flows of the web site: logging in (with
// core.default, or core.no-scopes where allowed), adding characters to the
// logged-in account, and giving tokens of the other EVE logins; and the home
// page with the login button, and logging out.
//
// A flow starts with a random state and a PKCE verifier kept in a sealed
// cookie of the visitor's browser (never a session row: starting a login
// writes nothing on the server), and the callback accepts only a state this
// browser started, once, within ten minutes. The member's sessions page
// lists and logs out the account's sessions. Whatever goes wrong on the way back
// (the player refused, the code expired or was used, the SSO is down, the
// token is not for this application, the character is not the one asked
// for) ends on a page that says what happened, and changes nothing.
package signin
