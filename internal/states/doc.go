// Package states owns the states (Alliance Auth's): named, prioritised
// standings such as Member, Blue and Guest, each open to the main
// characters of listed characters, corporations, alliances and factions
// (or to everyone when public), each granting permissions. An account's
// state is the highest-priority state its main qualifies for; Guest is the
// catch-all that cannot be deleted or renamed. The access engine
// (internal/access) assigns them; every change here queues a recomputation
// of every account.
package states
