package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/keepstar/keepstar/internal/config"
)

func openPostgres(ctx context.Context, url string, maxConns int) (*DB, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: KEEPSTAR_DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = int32(maxConns)
	pcfg.ConnConfig.RuntimeParams["application_name"] = "keepstar"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL at %s:%d: %w", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, err)
	}
	return &DB{dialect: config.Postgres, pool: pool, poolSQL: stdlib.OpenDBFromPool(pool)}, nil
}

// CurrentSchema names the schema unqualified tables live in (the first of the
// connection's search_path), so the job queue can use the same one.
func (db *DB) CurrentSchema(ctx context.Context) (string, error) {
	if db.dialect != config.Postgres {
		return "", nil
	}
	var schema string
	err := db.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema)
	return schema, err
}
