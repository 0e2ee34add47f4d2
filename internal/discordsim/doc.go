// Package discordsim is Keepstar's simulated Discord: the v10 REST routes a
// guild connector uses (users/@me, guild members and their roles, listing
// members, guild roles, the guild, posting a message in a channel, which
// the group pings use), Discord's OAuth2 authorization-code flow
// (authorize page, form-encoded token endpoint, revoke), and Discord's rate
// limits (per-route buckets per guild with AA's measured budgets, the 50
// requests/s global gate, 429 bodies with float-second retry_after) behind
// one http.Handler.
//
// It follows the real API strictly (status codes, JSON error codes, the role
// hierarchy) so a connector tested against it behaves on discord.com as it
// did here; the facts it follows are in ../shared/reference/services/discord.md. Only /api/v10
// is served: the unversioned path (Discord's deprecated default v6) and other
// versions are refused, so Keepstar must pin v10.
//
// Listing a guild's members needs the application's privileged
// GUILD_MEMBERS intent, off unless Options.MembersIntent or SetMembersIntent
// turns it on, as on Discord.
//
// For people watching a demo it also serves plain HTML pages outside /api:
// GET / lists the guilds and GET /guilds/{g} shows a guild's roles (which
// ones the bot may assign) and members, reloading itself every 5 seconds.
//
// The application's bot is a user too (its id the application's, as on
// Discord): users/@me with the bot token answers it, and GET member of its id
// gives its roles, whose permissions are the bot's (SetBotPermissions), so a
// connector can check its place in the hierarchy. It is left out of the
// member list and the pages, which show the people.
//
// Tests set the world up through Go methods on Server (guilds, roles, users,
// the bot's role and permissions, bans), do what people do by hand in
// Discord's app (DeleteRole, AddMemberRole, RemoveMember), read members
// back, add text channels and set what the bot may do there
// (SetChannelPermissions), read the messages posted (Messages), drive time
// through Options.Now, read request counters and the
// busiest second of the bot's requests (BusiestSecond), and force 429s or an
// outage.
package discordsim
