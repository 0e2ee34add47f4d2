package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/keepstar/keepstar/internal/config"
)

// migrationsFS holds Keepstar's schema, one folder per engine. The two
// folders carry the same versions (a test checks); each is written in its own
// dialect rather than translated.
//
//go:embed migrations
var migrationsFS embed.FS

// migrationTable records which schema versions are applied.
const migrationTable = "keepstar_migrations"

// MigrationSources gives the embedded migrations for an engine.
func MigrationSources(d config.Dialect) (fs.FS, error) {
	return fs.Sub(migrationsFS, "migrations/"+string(d))
}

func (db *DB) schemaProvider(logger *slog.Logger) (*goose.Provider, error) {
	fsys, err := MigrationSources(db.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.dialect == config.Postgres {
		dialect = goose.DialectPostgres
	}
	opts := []goose.ProviderOption{goose.WithTableName(migrationTable), goose.WithDisableGlobalRegistry(true)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	// The provider is not closed: closing it would close the shared *sql.DB.
	return goose.NewProvider(dialect, db.SQLWriter(), fsys, opts...)
}

// MigrateSchema applies Keepstar's pending schema migrations and returns how
// many ran. Callers that may run beside other processes hold MigrationLock.
func (db *DB) MigrateSchema(ctx context.Context, logger *slog.Logger) (int, error) {
	p, err := db.schemaProvider(logger)
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("store: migrate: %w", err)
	}
	return len(results), nil
}

// SchemaVersions gives the schema version in the database and the newest this
// binary knows. current > target means the database was migrated by a newer
// Keepstar.
func (db *DB) SchemaVersions(ctx context.Context) (current, target int64, err error) {
	p, err := db.schemaProvider(nil)
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

// migrationLockKey is the PostgreSQL advisory lock that serialises migrations
// of processes starting together ("keepstar" in ASCII).
const migrationLockKey = 0x6b656570737461

// MigrationLock runs fn while holding a database-wide lock, so that several
// keepstar processes starting at once migrate one after the other. On SQLite
// the single writer connection already serialises them within a process, and
// the file lock across processes.
func (db *DB) MigrationLock(ctx context.Context, fn func() error) error {
	if db.dialect != config.Postgres {
		return fn()
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer func() {
		// Unlock even if ctx was cancelled; the session lock would otherwise
		// stay with the pooled connection.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	return fn()
}
