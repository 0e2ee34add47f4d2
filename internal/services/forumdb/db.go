package forumdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/keepstar/keepstar/internal/services"
)

// strictMode is the session's sql_mode: a missing NOT NULL value or one
// that does not fit its column fails, as on a forum run in strict mode.
const strictMode = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO'"

// Timeouts of one connection: a forum database that stops answering fails
// the sync (which is tried again) instead of holding it.
const (
	dialTimeout = 5 * time.Second
	ioTimeout   = 15 * time.Second
)

// DB is the forum's database, its statements counted.
type DB struct {
	sql        *sql.DB
	statements atomic.Int64
}

// Config gives the driver's configuration for the settings.
func (s Settings) Config() *mysql.Config {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.DBName, c.User, c.Passwd = "tcp", s.Address, s.Database, s.User, s.Password
	c.Params = map[string]string{"sql_mode": strictMode}
	c.Collation = "utf8mb4_general_ci"
	c.Timeout, c.ReadTimeout, c.WriteTimeout = dialTimeout, ioTimeout, ioTimeout
	// The driver puts the arguments into the statement itself, escaped for
	// the connection's utf8mb4, instead of preparing each statement on the
	// server: one round trip per statement instead of two (prepare, then
	// execute), which halves the time of a sync.
	c.InterpolateParams = true
	return c
}

// Open opens the forum's database (lazily: nothing is dialled yet).
func Open(s Settings) (*DB, error) {
	conn, err := mysql.NewConnector(s.Config())
	if err != nil {
		return nil, fmt.Errorf("forumdb: %w", err)
	}
	db := sql.OpenDB(conn)
	// A forum's server serves the forum first: a few connections suffice
	// for syncs, which are one account at a time.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	db.SetConnMaxLifetime(10 * time.Minute)
	return &DB{sql: db}, nil
}

// Close closes the connections.
func (db *DB) Close() error { return db.sql.Close() }

// Statements gives how many statements were sent so far (BEGIN and
// COMMIT included), for the benchmarks that compare them with the floor.
func (db *DB) Statements() int64 { return db.statements.Load() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return Classify(db.sql.PingContext(ctx))
}

// Querier runs statements on the database (autocommit) or in a
// transaction.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Exec runs one statement on its own (autocommit: atomic by itself) and
// gives the rows it changed.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	db.statements.Add(1)
	res, err := db.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, Classify(err)
	}
	n, err := res.RowsAffected()
	return n, Classify(err)
}

// Query runs a read outside a transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	db.statements.Add(1)
	rows, err := db.sql.QueryContext(ctx, query, args...)
	return rows, Classify(err)
}

// Tx is one transaction on the forum's database.
type Tx struct {
	db *DB
	tx *sql.Tx
}

// InTx runs fn in one transaction, committed when fn returns nil and
// rolled back otherwise. Errors come back classified.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	db.statements.Add(1)
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return Classify(err)
	}
	tx := &Tx{db: db, tx: stx}
	defer func() {
		if err != nil {
			_ = stx.Rollback() // the error that made us roll back is the one to report
			err = Classify(err)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	db.statements.Add(1)
	return stx.Commit()
}

// Exec runs a statement and gives the rows it changed.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tx.db.statements.Add(1)
	res, err := tx.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Insert runs an INSERT and gives the id it made.
func (tx *Tx) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	tx.db.statements.Add(1)
	res, err := tx.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Query runs a read.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.db.statements.Add(1)
	return tx.tx.QueryContext(ctx, query, args...)
}

// QueryRow runs a read of one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	tx.db.statements.Add(1)
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// MySQL's errors that pass: too many connections, a lock wait timeout, a
// deadlock, the server going away or shutting down.
var passing = map[uint16]bool{1040: true, 1053: true, 1205: true, 1213: true, 2006: true, 2013: true}

// ErrNoTable is a table the forum should have that is missing (a wrong
// prefix, or not this forum's database).
var ErrNoTable = errors.New("forumdb: a forum table is missing (check the table prefix and the database)")

// ErrDenied is the database refusing Keepstar's user or its rights.
var ErrDenied = errors.New("forumdb: the database refuses Keepstar's user")

// Classify sorts a database error: those that pass wrap
// services.ErrUnavailable; a missing table ErrNoTable; a refused login
// or statement ErrDenied.
func Classify(err error) error {
	if err == nil || errors.Is(err, services.ErrUnavailable) || errors.Is(err, services.ErrGone) || errors.Is(err, services.ErrTaken) {
		return err
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch {
		case passing[me.Number]:
			return fmt.Errorf("forumdb: %w: %w", services.ErrUnavailable, err)
		case me.Number == 1146:
			return fmt.Errorf("%w: %w", ErrNoTable, err)
		case me.Number == 1044 || me.Number == 1045 || me.Number == 1142 || me.Number == 1143:
			return fmt.Errorf("%w: %w", ErrDenied, err)
		}
		return fmt.Errorf("forumdb: %w", err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mysql.ErrPktSync) || errors.Is(err, mysql.ErrPktSyncMul) {
		return fmt.Errorf("forumdb: the database does not answer: %w: %w", services.ErrUnavailable, err)
	}
	if errors.Is(err, driver.ErrBadConn) {
		return fmt.Errorf("forumdb: %w: %w", services.ErrUnavailable, err)
	}
	return err
}

// Placeholders gives n comma-separated "?" for an IN list (n > 0).
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Args makes a slice of any from a slice of values.
func Args[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
