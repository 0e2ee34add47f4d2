package esi

import (
	"context"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Margins say how close to ESI's limits Gate.Check lets a call go. The zero
// Margins are the gate's own: its error reserve, and a tenth of a bucket.
type Margins struct {
	// ErrorReserve: at or below this many errors left in the error window,
	// calls are held until the window resets.
	ErrorReserve int
	// BucketPercent: with fewer tokens left in the route's bucket than this
	// share of its size, a call is held for Neucore's wait: twice the time
	// the bucket takes to earn back a call's tokens, plus 10 s, counted
	// from the bucket's last answer, and never longer than its window.
	BucketPercent int
}

// defaultBucketPercent is the share of a bucket below which the gate's own
// calls are paced (plan), for Check's zero Margins.
const defaultBucketPercent = 10

// Limit names the limit that holds a call back.
type Limit int

const (
	// NoLimit: the call may go.
	NoLimit Limit = iota
	// ErrorLimit: the error budget is (nearly) spent, or a 420 blocks
	// every call.
	ErrorLimit
	// RateLimited: a 429 blocks the route, or its bucket, until its
	// Retry-After.
	RateLimited
	// BucketLimit: the route's rate-limit bucket is nearly empty.
	BucketLimit
)

func (l Limit) String() string {
	switch l {
	case NoLimit:
		return "no limit"
	case ErrorLimit:
		return "error limit"
	case RateLimited:
		return "rate limited (429)"
	case BucketLimit:
		return "rate-limit bucket nearly empty"
	}
	return fmt.Sprintf("limit %d", int(l))
}

// Hold is Check's answer: the zero Hold lets the call through; otherwise
// the limit in the way and until when.
type Hold struct {
	Limit Limit
	Until time.Time
	// Group is the bucket's group when a bucket holds the call (or a 429
	// blocks it).
	Group string
}

// Check tells, without waiting, reserving or writing anything, whether the
// gate lets a call of route with tokenKey ("anonymous" or
// "client:character") through now under m. It is for callers that cannot
// wait: the Application API's ESI proxy answers its client 429 with
// Retry-After instead. It reads what every process learnt (one query), and
// knows a route's bucket once this process has seen an answer of the route.
func (g *Gate) Check(ctx context.Context, route, tokenKey string, m Margins) (Hold, error) {
	if m.ErrorReserve <= 0 {
		m.ErrorReserve = g.reserve
	}
	if m.BucketPercent <= 0 {
		m.BucketPercent = defaultBucketPercent
	}
	var group, bucket string // bucket "": the route's bucket is not known, no row has that key
	if v, ok := g.groups.Load(route); ok {
		group = v.(string)
		bucket = bucketKey(group, tokenKey)
	}
	found := map[string]limitRow{}
	err := store.Each(ctx, g.db, `SELECT key, remaining, max_tokens, window_seconds, reset_at, blocked_until, updated
		FROM esi_limits WHERE key IN ($1, $2, $3)`, func(rows store.Rows) error {
		var key string
		var r limitRow
		err := rows.Scan(&key, &r.remaining, &r.maxTokens, &r.windowSeconds, &r.resetAt, &r.blockedUntil, &r.updated)
		found[key] = r
		return err
	}, errorsKey, routeKey(route), bucket)
	if err != nil {
		return Hold{}, fmt.Errorf("esi: check limits of %s: %w", route, err)
	}

	now := g.now()
	if r, ok := found[errorsKey]; ok {
		if r.blockedUntil.After(now) {
			return Hold{Limit: ErrorLimit, Until: r.blockedUntil}, nil
		}
		if r.remaining <= m.ErrorReserve && r.resetAt.After(now) {
			return Hold{Limit: ErrorLimit, Until: r.resetAt}, nil
		}
	}
	if r, ok := found[routeKey(route)]; ok && r.blockedUntil.After(now) {
		return Hold{Limit: RateLimited, Until: r.blockedUntil}, nil
	}
	r, ok := found[bucket]
	if bucket == "" || !ok || r.maxTokens < 1 {
		return Hold{}, nil
	}
	if r.blockedUntil.After(now) {
		return Hold{Limit: RateLimited, Until: r.blockedUntil, Group: group}, nil
	}
	window := time.Duration(r.windowSeconds) * time.Second
	if !now.Before(r.updated.Add(window)) || r.remaining >= r.maxTokens*m.BucketPercent/100 {
		return Hold{}, nil // refilled by a whole window unused, or enough left
	}
	// Neucore's wait: only the last answer's time is known, so assume the
	// tokens come back evenly over the window; double the time a call's
	// tokens take and add 10 s.
	wait := min(2*bucketCost*window/time.Duration(r.maxTokens)+10*time.Second-now.Sub(r.updated), window)
	if wait <= 0 {
		return Hold{}, nil
	}
	return Hold{Limit: BucketLimit, Until: now.Add(wait), Group: group}, nil
}
