// Package discord is Keepstar's client for Discord's REST API, the calls a
// guild connector makes: join a member with their OAuth2 access token, read,
// update and kick members, list them a page at a time (which needs the
// application's privileged GUILD_MEMBERS intent), grant and revoke single
// roles, list and create roles, read the guild, and read the OAuth2 user
// (users/@me).
//
// It speaks API v10 only: the version is pinned in every path, because the
// unversioned path means v6, whose retry_after is in milliseconds (the
// mistake Alliance Auth makes). Errors are *APIError values carrying
// Discord's JSON code; the sentinels (ErrUnknownMember, ErrUnknownRole,
// ErrMissingPermissions, ErrInvalidFormBody, ErrUnknownGuild…) match them with
// errors.Is (ErrMissingAccess, code 50001, is also the answer to listing
// members without the intent).
//
// Rate limits follow Discord's documentation rather than hard-coded budgets:
// the Limiter learns each route's bucket from X-RateLimit-Bucket (kept per
// top-level resource, the guild), does not send to a bucket known exhausted
// until its reset, keeps all calls under the 50 requests/s global limit, and
// on a 429 waits retry_after (float seconds in v10) before a bounded number
// of retries. The in-memory limiter is one implementation of the interface;
// a cross-process one (shared through the database) can replace it. Discord
// bans an IP for a while after 10,000 invalid responses (401, 403, 429 other
// than scope "shared") in ten minutes, so the client counts them and refuses
// further calls well before that (ErrBreakerOpen).
//
// The facts it follows are in ../shared/reference/services/discord.md beside
// the repository; internal/discordsim is the fake it is tested against.
package discord
