// Package services grants and revokes access outside Keepstar: Discord
// roles, Mumble logins, forum groups. It is the framework every connector
// type plugs into (internal/services/discord, later Mumble, TeamSpeak,
// the forums, XMPP) and works as a reconciler, not as a chain of tasks:
//
//   - A connector Type declares its settings, capabilities and pages;
//     administrators create any number of Instances of it (two Discord
//     guilds, a Mumble per coalition), each with its own settings, secrets
//     sealed at rest, and an access permission, services.<slug>.access.
//   - A service account row per (instance, account) records what was
//     applied there: external id, name, groups, the connector's own state.
//   - What an account should have (Want) follows from Keepstar's data:
//     the access permission (through the account, its state or its
//     groups, none of them while its groups are deactivated or the
//     account is), the name format of its state, its groups mapped to the
//     service's groups by name or explicitly, its state as a group.
//   - Every change that may alter a Want (feature.Hooks.AccountsChanged,
//     called in the change's own transaction) raises the rows' wanted
//     counter and queues one unique sync job per (instance, account) in
//     that transaction: nothing is lost, and a burst of changes costs one
//     sync. The sync applies the difference and nothing when there is
//     none, so a service is never asked for what it already has.
//   - A periodic verification per instance reads the service back, records
//     what it found and queues syncs where it differs: drift is repaired.
//
// Every change made on a service is written to the audit log (what, for
// whom, why, result). See docs/services.md.
package services
