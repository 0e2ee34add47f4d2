package store

import (
	"context"
	"sync/atomic"
)

type countKey struct{}

// CountQueries gives a context whose statements are counted: every Exec,
// Query and QueryRow run with it (or with a context made from it) adds one.
// Tests use it to prove a page costs the same number of queries however
// many rows it shows.
func CountQueries(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, countKey{}, n), n
}

func counted(ctx context.Context) {
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}
