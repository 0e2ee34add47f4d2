// Package access decides what an account may do. For now it owns the
// catalogue of roles (Neucore's user roles) and the roles given to accounts
// directly; states, groups and permissions join it later. Superusers hold
// every role without being given any.
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
