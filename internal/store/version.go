package store

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/config"
)

// ServerVersion gives the version of the database engine: the SQLite
// library built in, or the PostgreSQL server's.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	query := "SELECT sqlite_version()"
	if db.dialect == config.Postgres {
		query = "SHOW server_version"
	}
	var v string
	if err := db.QueryRow(ctx, query).Scan(&v); err != nil {
		return "", fmt.Errorf("store: server version: %w", err)
	}
	return v, nil
}
