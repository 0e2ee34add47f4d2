package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keepstar/keepstar/internal/config"
)

// ErrNoRows is returned by Row.Scan when the query selected nothing, whatever
// the engine. Repositories turn it into their own ErrNotFound.
var ErrNoRows = errors.New("store: no rows")

// Querier runs SQL. DB and Tx both implement it, so a repository method works
// inside or outside a transaction. SQL uses $1..$N placeholders, which both
// engines bind by number.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is the result of Query. Close must be called.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// DB is Keepstar's database: SQLite or PostgreSQL behind one API.
//
// On SQLite, writes and transactions go through a single connection (SQLite
// allows one writer; queuing writers in Go avoids SQLITE_BUSY), while Query
// and QueryRow outside a transaction read through a pool of read-only
// connections, which WAL lets run beside the writer. Code holding a Tx must
// therefore not call DB.Exec or DB.InTx until the Tx ends: it would wait for
// the writer it holds itself.
type DB struct {
	dialect config.Dialect

	// SQLite
	writer *sql.DB
	reader *sql.DB
	// readStatements keeps the reader's statements prepared.
	readStatements *statements

	// PostgreSQL
	pool *pgxpool.Pool
	// poolSQL is database/sql over pool, for libraries that need it (goose).
	poolSQL *sql.DB
}

var _ Querier = (*DB)(nil)
var _ Querier = (*Tx)(nil)

// Open connects to the database described by cfg. It does not migrate.
func Open(ctx context.Context, db config.Database, maxConns int) (*DB, error) {
	switch db.Dialect {
	case config.SQLite:
		return openSQLite(ctx, db.Path)
	case config.Postgres:
		return openPostgres(ctx, db.URL, maxConns)
	default:
		return nil, fmt.Errorf("store: unknown dialect %q", db.Dialect)
	}
}

// Dialect tells which engine this is.
func (db *DB) Dialect() config.Dialect { return db.dialect }

// SQLWriter gives the database/sql handle that writes: SQLite's single writer
// connection or PostgreSQL through pgx's stdlib adapter. It exists for
// libraries built on database/sql (the job queue on SQLite, migrations).
func (db *DB) SQLWriter() *sql.DB {
	if db.dialect == config.SQLite {
		return db.writer
	}
	return db.poolSQL
}

// PgxPool gives the PostgreSQL pool (nil on SQLite), for the job queue.
func (db *DB) PgxPool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.dialect == config.Postgres {
		return db.pool.Ping(ctx)
	}
	if err := db.writer.PingContext(ctx); err != nil {
		return err
	}
	return db.reader.PingContext(ctx)
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.dialect == config.Postgres {
		err := db.poolSQL.Close()
		db.pool.Close()
		return err
	}
	db.readStatements.close()
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Exec runs a statement outside any transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	counted(ctx)
	args = normalizeArgs(args)
	if db.dialect == config.Postgres {
		tag, err := db.pool.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	return sqlExec(ctx, db.writer, query, args)
}

// Query reads rows outside any transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	counted(ctx)
	args = normalizeArgs(args)
	if db.dialect == config.Postgres {
		rows, err := db.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return pgxRows{rows}, nil
	}
	return db.readStatements.query(ctx, query, args)
}

// QueryRow reads one row outside any transaction. A statement that writes
// (INSERT ... RETURNING) must run in a Tx: on SQLite, DB.QueryRow reads
// through the read-only pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) Row {
	counted(ctx)
	args = normalizeArgs(args)
	if db.dialect == config.Postgres {
		return pgxRow{db.pool.QueryRow(ctx, query, args...)}
	}
	return db.readStatements.queryRow(ctx, query, args)
}

// Tx is a transaction on either engine.
type Tx struct {
	dialect config.Dialect
	sqlTx   *sql.Tx
	pgxTx   pgx.Tx
}

// SQLTx gives the database/sql transaction on SQLite (nil on PostgreSQL), so
// the job queue can insert jobs in the same transaction.
func (tx *Tx) SQLTx() *sql.Tx { return tx.sqlTx }

// PgxTx gives the pgx transaction on PostgreSQL (nil on SQLite), so the job
// queue can insert jobs in the same transaction.
func (tx *Tx) PgxTx() pgx.Tx { return tx.pgxTx }

// Dialect tells which engine the transaction runs on.
func (tx *Tx) Dialect() config.Dialect { return tx.dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	counted(ctx)
	args = normalizeArgs(args)
	if tx.pgxTx != nil {
		tag, err := tx.pgxTx.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	return sqlExec(ctx, tx.sqlTx, query, args)
}

// Query reads rows in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	counted(ctx)
	args = normalizeArgs(args)
	if tx.pgxTx != nil {
		rows, err := tx.pgxTx.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return pgxRows{rows}, nil
	}
	return sqlQuery(ctx, tx.sqlTx, query, args)
}

// QueryRow reads one row in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) Row {
	counted(ctx)
	args = normalizeArgs(args)
	if tx.pgxTx != nil {
		return pgxRow{tx.pgxTx.QueryRow(ctx, query, args...)}
	}
	return sqlRow{tx.sqlTx.QueryRowContext(ctx, query, args...)}
}

// InTx runs fn in a transaction, committed when fn returns nil and rolled back
// when it returns an error or panics. Jobs inserted through the job queue with
// this Tx are committed or dropped with the rest.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx := &Tx{dialect: db.dialect}
	if db.dialect == config.Postgres {
		tx.pgxTx, err = db.pool.Begin(ctx)
	} else {
		tx.sqlTx, err = db.writer.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.rollback(); rbErr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (tx *Tx) commit(ctx context.Context) error {
	if tx.pgxTx != nil {
		return tx.pgxTx.Commit(ctx)
	}
	return tx.sqlTx.Commit()
}

func (tx *Tx) rollback() error {
	if tx.pgxTx != nil {
		// A rollback must happen even when the caller's ctx was cancelled,
		// or the connection goes back to the pool mid-transaction.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return tx.pgxTx.Rollback(ctx)
	}
	return tx.sqlTx.Rollback()
}

// normalizeArgs stores every time in UTC, rounded to the microsecond that
// PostgreSQL keeps, so both engines hold and compare the same values (SQLite
// compares times as text). The caller's slice is copied before any change:
// a caller passing args... keeps its own values.
func normalizeArgs(args []any) []any {
	copied := false
	for i, a := range args {
		var norm any
		switch v := a.(type) {
		case time.Time:
			norm = v.UTC().Round(time.Microsecond)
		case *time.Time:
			if v == nil {
				continue
			}
			t := v.UTC().Round(time.Microsecond)
			norm = &t
		default:
			continue
		}
		if !copied {
			args = append([]any(nil), args...)
			copied = true
		}
		args[i] = norm
	}
	return args
}

type sqlExecQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func sqlExec(ctx context.Context, q sqlExecQuerier, query string, args []any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func sqlQuery(ctx context.Context, q sqlExecQuerier, query string, args []any) (Rows, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

type pgxRows struct{ pgx.Rows }

type pgxRow struct{ pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

// Optimize lets SQLite refresh its query planner statistics where they are
// stale (PRAGMA optimize, as SQLite advises for long-lived connections) and
// folds the write-ahead log back into the database file. PostgreSQL's
// autovacuum does both by itself, so there it does nothing.
func (db *DB) Optimize(ctx context.Context) error {
	if db.dialect != config.SQLite {
		return nil
	}
	if _, err := db.writer.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	if _, err := db.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// Retryable reports whether err is PostgreSQL giving up a transaction so
// that another could go on (deadlock detected, serialization failure): the
// work is sound and runs again. SQLite's single writer never does this.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}
