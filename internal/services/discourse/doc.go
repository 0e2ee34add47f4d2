// Package discourse is Keepstar's Discourse connector type (Type: one
// service instance per forum), with Keepstar as the forum's
// DiscourseConnect provider.
//
// The forum sends a member's browser to /services/<slug>/sso with a signed
// request (SSOAnswer): the signature (hex HMAC-SHA256 of the base64 text
// under the connect secret) is checked in constant time, the request's
// return_sso_url must be on the configured forum, and the answer carries
// the nonce, the external id (the Keepstar account's number when the
// member first signs in, then kept on the service account, so a merge that
// moves it keeps the forum user), a placeholder address
// <external id>@<email domain> (Keepstar holds no member's address; the
// forum is told not to ask for activation), a username made to fit
// Discourse's rules from the formatted name, the name, the EVE portrait as
// avatar, and add_groups/remove_groups. admin and moderator are never sent.
// Nonces' single use and expiry are the forum's checks.
//
// Later changes go through the admin API: Apply sends the same payload to
// /admin/users/sync_sso (one request whatever changed); Remove logs the
// user out and suspends them; a member who signs in again once they may
// is unsuspended (SSOAnswer looks their forum user up when they have no
// service account). Every admin request passes a limiter that keeps one
// process within the admin API's 60 requests a minute; a 429 from the
// forum (several processes, other clients of the keys) becomes a
// services.RetryAfter with its Retry-After, which snoozes the sync job.
//
// See docs/services-discourse.md and decision 0033.
package discourse
