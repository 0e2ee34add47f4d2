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
// of retries. Two limiters implement the interface: MemoryLimiter for one
// process (SQLite's case), and DBLimiter, which keeps the same state in the
// database (tables service_limits and service_limit_sends) so that the
// processes sharing a PostgreSQL database stay together within one bot's
// limits; it also sends one request at a time on a route whose bucket no
// answer has told yet. Discord bans an IP for a while after 10,000 invalid
// responses (401, 403, 429 other than scope "shared") in ten minutes, so
// the client counts them and refuses further calls well before that
// (ErrBreakerOpen).
//
// The facts it follows are in ../shared/reference/services/discord.md beside
// the repository; internal/discordsim is the fake it is tested against.
package discord
