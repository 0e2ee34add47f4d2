// Package logins owns the EVE logins (Neucore's): named SSO configurations,
// each with the ESI scopes it asks for and the in-game roles its characters
// must hold. A member's token is kept per character and login
// (internal/eve/tokens), so one character can give Keepstar a token for the
// account login and others for what apps and features need.
//
// Four are built in and cannot be deleted or renamed: core.default (the
// account login; its scopes are the site's choice), core.no-scopes (a guest
// login that asks for nothing, when allowed), core.tracking (directors'
// tokens for member tracking) and core.mail (the character that sends EVE
// mail). Administrators add their own, whose names may not start with
// "core.".
package logins
