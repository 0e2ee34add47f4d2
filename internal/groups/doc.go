// Package groups owns the groups: their options (Alliance Auth's internal,
// hidden, open, public and restricted flags, allowed states, leaders and
// leader groups; Neucore's default groups, corporation and alliance
// mappings, required and forbidden groups, managers and auto-accepted
// applications, in one model), who is in them, join and leave requests,
// and the audit log of every change. It also owns reserved group names and
// Alliance Auth's autogroup configurations.
//
// Who ends up in which group is the access engine's (internal/access):
// every change of membership here is followed by a recomputation of the
// account, and every change of a group's rules queues one of every account.
package groups
