package esi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// Defaults of GateOptions.
const (
	// DefaultErrorReserve is where the gate stops spending the error budget,
	// as Neucore does at about ten errors left.
	DefaultErrorReserve = 10
	// DefaultMaxWait is the longest the gate waits before giving up with a
	// *LimitedError: longer than one error window (60 s), short enough for
	// a job to snooze instead.
	DefaultMaxWait = 90 * time.Second
	// defaultBlock is the wait after a 420 or 429 that did not say how long.
	defaultBlock = 60 * time.Second
	// maxGateRounds bounds the waits of one call, whatever the clock does.
	maxGateRounds = 20
	// bucketCost is what a successful call costs in a bucket.
	bucketCost = 2
)

// Sleeper waits until the instant until of the Now clock, or until ctx
// ends. Tests inject one that moves a simulated clock instead of sleeping.
// It takes an instant rather than a duration so that calls waiting side by
// side for the same reset end together, whatever order they sleep in.
type Sleeper func(ctx context.Context, until time.Time) error

// realSleeper sleeps on the wall clock until the instant of now's clock.
func realSleeper(now func() time.Time) Sleeper {
	return func(ctx context.Context, until time.Time) error { return sleepContext(ctx, until.Sub(now())) }
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// GateOptions configure a Gate.
type GateOptions struct {
	Now   func() time.Time // nil: time.Now
	Sleep Sleeper          // nil: sleep on the wall clock
	// MaxWait is the longest single wait; beyond it the call fails with a
	// *LimitedError. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// ErrorReserve: at or below this many errors left, calls wait for the
	// error window to reset. 0 means DefaultErrorReserve.
	ErrorReserve int
}

// Gate holds calls back before ESI's limits are hit. Its state lives in
// the database (table esi_limits) so that every worker of every process
// sharing the database honours what any of them learnt:
//
//   - the legacy error budget (row "errors"): at or below ErrorReserve
//     errors left, wait for the reset; after a 420, wait the reset;
//   - each rate-limit bucket (row "bucket:<group>:<token key>"): near its
//     reserve, calls are paced one per refill interval instead of running
//     into a 429; after a 429, wait Retry-After;
//   - a 429 on a route without a bucket (row "route:<route>").
type Gate struct {
	db      *store.DB
	now     func() time.Time
	sleep   Sleeper
	maxWait time.Duration
	reserve int
	// groups maps a route to the bucket group ESI named for it. It is
	// learnt from the first answer and never changes for a compatibility
	// date, so each process keeps its own copy.
	groups sync.Map
}

// NewGate gives a gate over db.
func NewGate(db *store.DB, o GateOptions) *Gate {
	g := &Gate{db: db, now: o.Now, sleep: o.Sleep, maxWait: o.MaxWait, reserve: o.ErrorReserve}
	if g.now == nil {
		g.now = time.Now
	}
	if g.sleep == nil {
		g.sleep = realSleeper(g.now)
	}
	if g.maxWait <= 0 {
		g.maxWait = DefaultMaxWait
	}
	if g.reserve <= 0 {
		g.reserve = DefaultErrorReserve
	}
	return g
}

// limitRow is a row of esi_limits.
type limitRow struct {
	remaining, maxTokens, windowSeconds int
	resetAt, blockedUntil, nextSlot     time.Time
	updated                             time.Time
}

const (
	errorsKey   = "errors"
	anonymous   = "anonymous"
	selectRow   = `SELECT remaining, max_tokens, window_seconds, reset_at, blocked_until, next_slot, updated FROM esi_limits WHERE key = $1`
	upsertLimit = `INSERT INTO esi_limits (key, remaining, max_tokens, window_seconds, reset_at, blocked_until, next_slot, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO UPDATE SET remaining = excluded.remaining, max_tokens = excluded.max_tokens,
			window_seconds = excluded.window_seconds, reset_at = excluded.reset_at, blocked_until = excluded.blocked_until,
			next_slot = excluded.next_slot, updated = excluded.updated`
)

func bucketKey(group, tokenKey string) string { return "bucket:" + group + ":" + tokenKey }
func routeKey(route string) string            { return "route:" + route }

// load reads a row; found is false when there is none. In a transaction
// on PostgreSQL the row is locked (SQLite's BEGIN IMMEDIATE already
// serialises writers), so concurrent updates never lose one another.
func load(ctx context.Context, q store.Querier, lock bool, key string) (r limitRow, found bool, err error) {
	query := selectRow
	if lock {
		query += " FOR UPDATE"
	}
	err = q.QueryRow(ctx, query, key).Scan(&r.remaining, &r.maxTokens, &r.windowSeconds, &r.resetAt, &r.blockedUntil, &r.nextSlot, &r.updated)
	if errors.Is(err, store.ErrNoRows) {
		return limitRow{}, false, nil
	}
	if err != nil {
		return limitRow{}, false, fmt.Errorf("esi: read limits %s: %w", key, err)
	}
	return r, true, nil
}

// update changes one row in a short transaction (never across an HTTP
// call). fn gets the row (zero, found false, when new) and says whether to
// write it back.
func (g *Gate) update(ctx context.Context, key string, fn func(r *limitRow, found bool) bool) error {
	return g.db.InTx(ctx, func(tx *store.Tx) error {
		r, found, err := load(ctx, tx, tx.Dialect() == config.Postgres, key)
		if err != nil {
			return err
		}
		if !found {
			r = limitRow{resetAt: noTime, blockedUntil: noTime, nextSlot: noTime}
		}
		if !fn(&r, found) {
			return nil
		}
		if _, err := tx.Exec(ctx, upsertLimit, key, r.remaining, r.maxTokens, r.windowSeconds, r.resetAt, r.blockedUntil, r.nextSlot, r.updated); err != nil {
			return fmt.Errorf("esi: write limits %s: %w", key, err)
		}
		return nil
	})
}

// Wait holds a call to route (with the token key: "anonymous" or
// "client:character") until the limits allow it. It returns a
// *LimitedError when the wait would exceed the maximum or ctx's deadline.
func (g *Gate) Wait(ctx context.Context, route, tokenKey string) error {
	paced := false
	for range maxGateRounds {
		until, reason, err := g.plan(ctx, route, tokenKey, !paced)
		if err != nil {
			return err
		}
		d := until.Sub(g.now())
		if until.IsZero() || d <= 0 {
			return nil
		}
		if reason == reasonPaced {
			paced = true // the slot is ours: after it, only blocks are checked again
		}
		if d > g.maxWait {
			return &LimitedError{RetryAfter: d, Reason: reason}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			return &LimitedError{RetryAfter: d, Reason: reason}
		}
		// Sleep until the instant, not for d: the clock may have moved
		// since plan looked at it.
		if err := g.sleep(ctx, until); err != nil {
			return fmt.Errorf("esi: waiting for %s: %w", reason, err)
		}
	}
	return &LimitedError{RetryAfter: defaultBlock, Reason: "limits did not clear"}
}

const reasonPaced = "bucket pacing"

// plan tells until when to wait before the call (zero: go now), and why. With reserve, a
// call that may go reserves its tokens in its bucket (and a paced slot when
// the bucket is near its reserve).
func (g *Gate) plan(ctx context.Context, route, tokenKey string, reserve bool) (time.Time, string, error) {
	now := g.now()
	if r, found, err := load(ctx, g.db, false, errorsKey); err != nil {
		return time.Time{}, "", err
	} else if found {
		if r.blockedUntil.After(now) {
			return r.blockedUntil, "error limit (420)", nil
		}
		if r.remaining <= g.reserve && r.resetAt.After(now) {
			return r.resetAt, "error budget nearly spent", nil
		}
	}
	if r, found, err := load(ctx, g.db, false, routeKey(route)); err != nil {
		return time.Time{}, "", err
	} else if found && r.blockedUntil.After(now) {
		return r.blockedUntil, "throttled (429)", nil
	}
	group, ok := g.groups.Load(route)
	if !ok {
		return time.Time{}, "", nil
	}
	var wait time.Time
	var reason string
	err := g.update(ctx, bucketKey(group.(string), tokenKey), func(r *limitRow, found bool) bool {
		if !found || r.maxTokens < 1 {
			return false
		}
		if r.blockedUntil.After(now) {
			wait, reason = r.blockedUntil, "throttled (429)"
			return false
		}
		if !reserve {
			return false
		}
		window := time.Duration(r.windowSeconds) * time.Second
		if !now.Before(r.updated.Add(window)) {
			r.remaining = r.maxTokens // nothing spent for a whole window
		}
		// Slow down before the limit: near the reserve, one call per time
		// the bucket needs to refill its cost, shared out by slots.
		if r.remaining-bucketCost < max(r.maxTokens/10, 2*bucketCost) {
			slot := r.nextSlot
			if slot.Before(now) {
				slot = now
			}
			r.nextSlot = slot.Add(window * bucketCost / time.Duration(r.maxTokens))
			wait, reason = slot, reasonPaced
		}
		r.remaining -= bucketCost
		return true
	})
	return wait, reason, err
}

// learn records what an answer's headers say of the limits.
func (g *Gate) learn(ctx context.Context, route, tokenKey string, status int, h http.Header) error {
	now := g.now()
	remain, reset, haveBudget := errorLimit(h)
	if haveBudget || status == 420 {
		err := g.update(ctx, errorsKey, func(r *limitRow, found bool) bool {
			if haveBudget {
				resetAt := now.Add(reset)
				// Answers of the same window arrive out of order: keep the
				// lowest count; a later reset means a new window.
				if !found || resetAt.Sub(r.resetAt) > 2*time.Second || r.resetAt.Sub(resetAt) > 2*time.Second {
					r.remaining = remain
				} else {
					r.remaining = min(r.remaining, remain)
				}
				r.resetAt = resetAt
			}
			if status == 420 {
				d := reset
				if !haveBudget || d <= 0 {
					d = defaultBlock
				}
				r.blockedUntil = later(r.blockedUntil, now.Add(d))
			}
			r.updated = now
			return true
		})
		if err != nil {
			return err
		}
	}
	wait, haveWait := retryAfter(h, now)
	if !haveWait {
		wait = defaultBlock
	}
	b, bucketed := rateLimit(h)
	if bucketed {
		g.groups.Store(route, b.group)
		return g.update(ctx, bucketKey(b.group, tokenKey), func(r *limitRow, _ bool) bool {
			r.remaining, r.maxTokens, r.windowSeconds, r.updated = b.remaining, b.limit, int(b.window/time.Second), now
			if status == http.StatusTooManyRequests {
				r.blockedUntil = later(r.blockedUntil, now.Add(wait))
			}
			return true
		})
	}
	if status == http.StatusTooManyRequests {
		return g.update(ctx, routeKey(route), func(r *limitRow, _ bool) bool {
			r.blockedUntil, r.updated = later(r.blockedUntil, now.Add(wait)), now
			return true
		})
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
