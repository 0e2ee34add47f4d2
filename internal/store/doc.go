// Package store is Keepstar's database: SQLite (the embedded default, through
// modernc.org/sqlite) or PostgreSQL (through pgx) behind one small API of
// Exec, Query, QueryRow and InTx, with $N placeholders that both engines
// bind, and the helpers every repository would otherwise write again: Each,
// Collect and Column read the rows of a query; In and InChunks build IN
// lists. It owns the connection settings of each engine and the embedded
// schema migrations. Repositories for each concept live in their own
// packages and take a Querier, so they run inside or outside a transaction.
//
// See docs/decisions/0002-data-access.md for why it is shaped this way.
package store
