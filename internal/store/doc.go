// Package store is Keepstar's database: SQLite (the embedded default, through
// modernc.org/sqlite) or PostgreSQL (through pgx) behind one small API of
// Exec, Query, QueryRow and InTx, with $N placeholders that both engines
// bind. It owns the connection settings of each engine and the embedded
// schema migrations. Repositories for each concept live in their own
// packages and take a Querier, so they run inside or outside a transaction.
//
// See docs/decisions/0002-data-access.md for why it is shaped this way.
package store
