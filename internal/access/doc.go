// Package access decides what an account may do. It owns:
//
//   - the engine (engine.go): a pure function from what is known of an
//     account (its characters, tokens, affiliations) and the site's rules
//     (states, groups with their rules and mappings, autogroups, the
//     deactivation settings; LoadConfig) to its state, groups, roles,
//     permissions and group deactivation (Neucore's, for invalid tokens);
//   - the recomputation (recompute.go, jobs.go): the engine applied to the
//     accounts in the database, set-based, by the access_recompute job and
//     after every change of an account;
//   - the permission catalogue every feature feeds (permissions.go) and
//     the permissions granted to states, groups and accounts, read as an
//     account's rights (RightsOf);
//   - the roles (roles.go): Neucore's user roles, given by superusers, the
//     groups a role requires, and the roles that follow a relation
//     (app-manager, group-manager); superusers hold every role without
//     being given any;
//   - guarded groups (guard.go): what grants rights is changed by
//     superusers only;
//   - autogroup names (autogroups.go) and the outbox of changes (below);
//   - the permissions overview and audit, and the roles' required groups
//     pages (pages.go).
//
// Groups and states keep their own stores and pages (internal/groups,
// internal/states); the engine reads their rules.
//
// The outbox (access_events, events.go) tells consumers such as service
// connectors what changed in an account's access: one Event per group
// added or removed, state changed or deactivation changed, written by
// WriteEvents (or WriteMemberEvents, for a statement's worth of
// memberships) in the transaction of the change. A consumer reads it with
// ReadEvents from the position it kept, handles the events idempotently,
// and keeps the position Settled gives, which on PostgreSQL waits at a
// young gap in the ids for a transaction that may still commit it.
package access
