package esi

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Budget is what the gate last learnt of ESI's limits, shared by every
// process over the database (table esi_limits), as operators look at it.
type Budget struct {
	// Errors is the legacy error budget; nil until an answer told it.
	Errors *ErrorBudget
	// Blocked are the routes without a bucket that a 429 still blocks.
	Blocked []RouteBlock
	// Groups are the rate-limit groups seen, by name.
	Groups []BucketGroup
}

// ErrorBudget is the legacy error limit: errors ESI still allows in its
// current window.
type ErrorBudget struct {
	// Remaining is the count ESI last told. Once Reset has passed, the
	// window has started over and the count no longer holds.
	Remaining int
	Reset     time.Time
	// BlockedUntil: after a 420, no call goes before it (zero: none).
	BlockedUntil time.Time
}

// Current tells whether the window Remaining counts in is still running.
func (e ErrorBudget) Current(now time.Time) bool { return e.Reset.After(now) }

// RouteBlock is a route refused by a 429 and blocked until a time.
type RouteBlock struct {
	Route string
	Until time.Time
}

// BucketGroup sums up one rate-limit group's buckets: ESI keeps one per
// caller, so one for anonymous calls and one per character for
// authenticated ones.
type BucketGroup struct {
	Group   string
	Buckets int
	// Remaining is the fewest tokens left in any of the group's buckets: a
	// bucket unused for a whole window counts as full.
	Remaining int
	// Max is the group's tokens per Window.
	Max    int
	Window time.Duration
	// Blocked counts the buckets a 429 still blocks, the last of them
	// until BlockedUntil.
	Blocked      int
	BlockedUntil time.Time
}

// ReadBudget reads the limits as they stand at now.
func ReadBudget(ctx context.Context, q store.Querier, now time.Time) (Budget, error) {
	var b Budget
	groups := map[string]*BucketGroup{}
	err := store.Each(ctx, q, `SELECT key, remaining, max_tokens, window_seconds, reset_at, blocked_until, updated FROM esi_limits`, func(rows store.Rows) error {
		var key string
		var r limitRow
		if err := rows.Scan(&key, &r.remaining, &r.maxTokens, &r.windowSeconds, &r.resetAt, &r.blockedUntil, &r.updated); err != nil {
			return err
		}
		switch {
		case key == errorsKey:
			e := &ErrorBudget{Remaining: r.remaining, Reset: r.resetAt}
			if r.blockedUntil.After(now) {
				e.BlockedUntil = r.blockedUntil
			}
			b.Errors = e
		case strings.HasPrefix(key, "route:"):
			if r.blockedUntil.After(now) {
				b.Blocked = append(b.Blocked, RouteBlock{Route: strings.TrimPrefix(key, "route:"), Until: r.blockedUntil})
			}
		case strings.HasPrefix(key, "bucket:"):
			// The group never holds a colon; the token key may
			// ("client:character").
			name, _, _ := strings.Cut(strings.TrimPrefix(key, "bucket:"), ":")
			g := groups[name]
			if g == nil {
				g = &BucketGroup{Group: name, Remaining: r.maxTokens}
				groups[name] = g
			}
			window := time.Duration(r.windowSeconds) * time.Second
			remaining := r.remaining
			if !now.Before(r.updated.Add(window)) {
				remaining = r.maxTokens // as the gate counts it: refilled
			}
			g.Buckets++
			g.Remaining = min(g.Remaining, remaining)
			g.Max, g.Window = max(g.Max, r.maxTokens), max(g.Window, window)
			if r.blockedUntil.After(now) {
				g.Blocked++
				g.BlockedUntil = later(g.BlockedUntil, r.blockedUntil)
			}
		}
		return nil
	})
	if err != nil {
		return Budget{}, fmt.Errorf("esi: read budget: %w", err)
	}
	for _, g := range groups {
		b.Groups = append(b.Groups, *g)
	}
	slices.SortFunc(b.Groups, func(x, y BucketGroup) int { return cmp.Compare(x.Group, y.Group) })
	slices.SortFunc(b.Blocked, func(x, y RouteBlock) int { return cmp.Compare(x.Route, y.Route) })
	return b, nil
}
