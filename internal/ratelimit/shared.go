package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// Shared counts in the database's rate_limits table, so that every process
// serving the site counts into the same windows. Each request costs one
// statement, an upsert that either begins a new window or adds one to the
// current, and returns the result: two processes counting at once never
// lose a request nor both begin a window.
type Shared struct {
	db *store.DB
}

// NewShared makes a Shared counter over db.
func NewShared(db *store.DB) *Shared { return &Shared{db: db} }

// hitSQL begins a window at $2 unless the key's current one began after $3
// (now less the window's length), and counts the request. Every expression
// of the SET reads the row as it was, so both see the same old window.
const hitSQL = `INSERT INTO rate_limits (key, window_start, requests) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN rate_limits.window_start <= $3 THEN excluded.window_start ELSE rate_limits.window_start END,
    requests = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.requests + 1 END
RETURNING window_start, requests`

// Hit implements Counter.
func (s *Shared) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (Window, error) {
	var w Window
	var err error
	if s.db.Dialect() == config.Postgres {
		// One statement is its own transaction: no BEGIN and COMMIT to
		// wait for.
		err = s.db.QueryRow(ctx, hitSQL, key, now, now.Add(-window)).Scan(&w.Start, &w.Requests)
	} else {
		// On SQLite a write goes through the writer, in a transaction.
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, hitSQL, key, now, now.Add(-window)).Scan(&w.Start, &w.Requests)
		})
	}
	if err != nil {
		return Window{}, fmt.Errorf("ratelimit: count %s: %w", key, err)
	}
	return w, nil
}

var _ Counter = (*Shared)(nil)

// ForDatabase gives the counter for limits that must hold across the whole
// site. On PostgreSQL, where several processes may serve, it is Shared. On
// SQLite, which one process serves by design, it is Memory: a write per
// request would take turns with every other write of the site through
// SQLite's single writer, for nothing another process could read.
func ForDatabase(db *store.DB) Counter {
	if db.Dialect() == config.Postgres {
		return NewShared(db)
	}
	return NewMemory(0)
}
