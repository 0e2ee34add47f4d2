// Package discord is Keepstar's Discord connector type (Type: one service
// instance per guild) and the client for Discord's REST API it is built on.
//
// The connector gives members roles and a nickname on a guild through a
// bot. A member links their Discord account by OAuth2 (scopes identify and
// guilds.join): the code is exchanged, the member joined with their roles
// and nickname, and the user token revoked; Keepstar keeps none. A sync
// (Apply) is one PATCH of the member when something differs, none when
// nothing does: the member's role ids as last seen are the account's State,
// so no read is needed. Roles are matched by exact name, as Alliance Auth
// does, against a role list kept per connector and read again when a name
// is missing, Discord says a role is unknown, or every few minutes; the
// oldest of several roles of one name is used; a missing role is made
// (unless the instance turns creation off) after reading the list again,
// never twice. @everyone and the roles Discord manages (bots', boosters')
// are never Keepstar's, nor are the groups the Want keeps. Verification
// (Observe) lists the guild's members when it can, or reads them one by
// one; Check tells admins what stops the bot (its permissions, its place
// in the role hierarchy, its presence in the guild).
//
// The client makes the calls a guild connector needs: join a member with
// their OAuth2 access token, read, update and kick members, list them a page
// at a time (which needs the application's privileged GUILD_MEMBERS intent),
// grant and revoke single roles, list, create and delete roles, read the
// guild, read the OAuth2 user or the bot (users/@me), and exchange and
// revoke OAuth2 tokens.
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
// of retries; a wait longer than the caller allows (WithMaxWait, ctx's
// deadline) is a *WaitError instead, which the connector gives the
// framework as services.RetryAfter. Two limiters implement the interface:
// MemoryLimiter for one process (SQLite's case), and DBLimiter, which keeps
// the same state in the database (tables service_limits and
// service_limit_sends) so that the processes sharing a PostgreSQL database
// stay together within one bot's limits; it also sends one request at a
// time on a route whose bucket no answer has told yet (newLimiter is where
// the connector picks). Discord bans an IP for a while after 10,000 invalid
// responses (401, 403, 429 other than scope "shared") in ten minutes, so
// the client counts them and refuses further calls well before that
// (ErrBreakerOpen).
//
// The facts it follows are in ../shared/reference/services/discord.md beside
// the repository; internal/discordsim is the fake it is tested against.
package discord
