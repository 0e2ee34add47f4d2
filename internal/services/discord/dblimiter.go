package discord

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// Defaults of DBLimiterOptions.
const (
	// DefaultPoll is how often a request waiting for another's answer (the
	// first request of a route, or of a bucket's new window) looks again.
	DefaultPoll = 100 * time.Millisecond
	// DefaultInFlight is how long a request may be in flight before the
	// limiter stops waiting for its answer: the longest a process that
	// died mid-request holds a route whose bucket is unknown.
	DefaultInFlight = 30 * time.Second
)

// sameWindow is how far apart two answers may place a bucket's reset and
// still speak of the same window: the answers' latencies differ, and
// Discord's shortest windows last a second.
const sameWindow = 500 * time.Millisecond

// resetMargin is added to each reset an answer tells: Discord gives it to
// the millisecond, rounded, and a request sent half a millisecond early
// meets the old window.
const resetMargin = time.Millisecond

// forgetSendsEvery is how many of its requests a limiter records between
// two deletions of the rows older than the global window: a statement
// saved on most reservations, for a few rows more.
const forgetSendsEvery = 10

// cleanEvery is how often a limiter deletes its bot's rows left unused.
const cleanEvery = time.Hour

// staleAfter is how long a route or bucket row unused and without any
// time still ahead is kept: it is learnt again with one request.
const staleAfter = 24 * time.Hour

// DBLimiterOptions configure a DBLimiter.
type DBLimiterOptions struct {
	// Now and Sleep let tests drive time; nil means real time. Processes
	// sharing a database compare their clocks' instants, so keep them in
	// step (NTP): a clock behind lets its process send early by as much.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// PerSecond is the bot's global budget (0: GlobalPerSecond).
	PerSecond int
	// Poll and InFlight: 0 means DefaultPoll and DefaultInFlight.
	Poll, InFlight time.Duration
}

// DBLimiter is a Limiter whose state lives in the database (tables
// service_limits and service_limit_sends), so that several processes
// calling Discord for one bot together keep within its limits. Every
// request is reserved in the database before it is sent, and every answer
// is recorded there:
//
//   - each route's bucket, as X-RateLimit-Bucket names it, counted per
//     top-level resource (the guild): its limit, what remains of its
//     window less the requests reserved since, and when the window ends;
//   - a route whose bucket is not known yet sends one request at a time,
//     from all processes, until an answer tells it;
//   - the global limit: no second, sliding, sees more than PerSecond
//     requests reserved (Discord counts its own way; a sliding window is
//     stricter than any), nor any globalWindow, a little longer, so that
//     the requests' latencies do not bring more within Discord's second;
//   - a 429 holds every process for its retry_after: all routes when it
//     is global, the bucket, or else the route.
//
// Its rows are keyed by a name for the bot, so two bots never share
// limits and two connectors of one bot do. It works on SQLite too, for one
// process; there the composition uses the MemoryLimiter.
type DBLimiter struct {
	db        *store.DB
	service   string
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	perSecond int
	poll      time.Duration
	inFlight  time.Duration
	forUpdate string

	// buckets maps a route's key to the bucket an answer named for it, as
	// the route's row last said: knowing it, a reservation reads both rows
	// in one statement. The row stays the authority.
	buckets sync.Map

	mu        sync.Mutex
	sends     int
	lastClean time.Time
}

var _ Limiter = (*DBLimiter)(nil)

// NewDBLimiter builds a limiter over db for the bot named bot. Use the
// bot's application (client) id: every connector calling with that bot,
// in any process, shares its limits, as Discord counts them.
func NewDBLimiter(db *store.DB, bot string, o DBLimiterOptions) *DBLimiter {
	l := &DBLimiter{db: db, service: "discord:" + bot, now: o.Now, sleep: o.Sleep, perSecond: o.PerSecond,
		poll: o.Poll, inFlight: o.InFlight}
	if l.now == nil {
		l.now = time.Now
	}
	if l.sleep == nil {
		l.sleep = realSleep
	}
	if l.perSecond <= 0 {
		l.perSecond = GlobalPerSecond
	}
	if l.poll <= 0 {
		l.poll = DefaultPoll
	}
	if l.inFlight <= 0 {
		l.inFlight = DefaultInFlight
	}
	if db.Dialect() == config.Postgres {
		// SQLite's transactions take the write lock as they begin (BEGIN
		// IMMEDIATE, see store), which serialises them already.
		l.forUpdate = " FOR UPDATE"
	}
	return l
}

// Wait implements Limiter.
func (l *DBLimiter) Wait(ctx context.Context, route Route) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, err := l.reserve(ctx, route)
		if err != nil {
			return err
		}
		if d <= 0 {
			return nil
		}
		// Nothing was reserved: a wait longer than the caller allows is
		// theirs to come back after (a job frees its worker).
		if allowed, ok := allowedWait(ctx); ok && d > allowed {
			return &WaitError{After: d}
		}
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// limitRow is a row of service_limits: the bot's global row, a route's,
// or a bucket's (each kind uses its own columns, see the migration).
type limitRow struct {
	found      bool
	learned    bool
	bucket     string
	max        int
	remaining  int
	resetAt    time.Time
	resetKnown bool
	refilledAt time.Time
	holdUntil  time.Time
	busyUntil  time.Time
	updatedAt  time.Time
}

// noTime stands for "none" in the NOT NULL time columns.
var noTime = time.Unix(0, 0).UTC()

const (
	globalKey  = "global"
	selectRows = `SELECT key, learned, bucket, max_requests, remaining, reset_at, reset_known, refilled_at, hold_until, busy_until,
		updated_at FROM service_limits WHERE service = $1 AND key IN ($2, $3)`
	insertGlobal = `INSERT INTO service_limits (service, key, learned, bucket, max_requests, remaining, reset_at, reset_known,
		refilled_at, hold_until, busy_until, updated_at) VALUES ($1, 'global', FALSE, '', 0, 0, $2, FALSE, $2, $2, $2, $3)
		ON CONFLICT (service, key) DO NOTHING`
	upsertRow = `INSERT INTO service_limits (service, key, learned, bucket, max_requests, remaining, reset_at, reset_known,
		refilled_at, hold_until, busy_until, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (service, key) DO UPDATE SET learned = excluded.learned, bucket = excluded.bucket,
			max_requests = excluded.max_requests, remaining = excluded.remaining, reset_at = excluded.reset_at,
			reset_known = excluded.reset_known, refilled_at = excluded.refilled_at, hold_until = excluded.hold_until,
			busy_until = excluded.busy_until, updated_at = excluded.updated_at`
	selectSends = `SELECT sent_at, requests FROM service_limit_sends WHERE service = $1 AND sent_at > $2 ORDER BY sent_at`
	insertSend  = `INSERT INTO service_limit_sends (service, sent_at, requests) VALUES ($1, $2, 1)
		ON CONFLICT (service, sent_at) DO UPDATE SET requests = service_limit_sends.requests + 1`
	deleteSends = `DELETE FROM service_limit_sends WHERE service = $1 AND sent_at <= $2`
	deleteStale = `DELETE FROM service_limits WHERE service = $1 AND key <> 'global' AND updated_at < $2
		AND reset_at < $3 AND hold_until < $3 AND busy_until < $3`
)

func routeKey(r Route) string               { return "route:" + r.key() }
func bucketKey(bucket, major string) string { return "bucket:" + bucket + ":" + major }

// newRow is a row not in the table yet.
func newRow() limitRow {
	return limitRow{resetAt: noTime, refilledAt: noTime, holdUntil: noTime, busyUntil: noTime, updatedAt: noTime}
}

func (l *DBLimiter) load(ctx context.Context, tx *store.Tx, key string) (limitRow, error) {
	a, _, err := l.loadTwo(ctx, tx, key, key)
	return a, err
}

// loadTwo reads the rows of keys a and b (newRow for each not found) in
// one statement.
func (l *DBLimiter) loadTwo(ctx context.Context, tx *store.Tx, a, b string) (limitRow, limitRow, error) {
	ra, rb := newRow(), newRow()
	err := store.Each(ctx, tx, selectRows, func(rows store.Rows) error {
		var key string
		r := limitRow{found: true}
		if err := rows.Scan(&key, &r.learned, &r.bucket, &r.max, &r.remaining, &r.resetAt, &r.resetKnown, &r.refilledAt,
			&r.holdUntil, &r.busyUntil, &r.updatedAt); err != nil {
			return err
		}
		if key == a {
			ra = r
		}
		if key == b {
			rb = r
		}
		return nil
	}, l.service, a, b)
	if err != nil {
		return ra, rb, fmt.Errorf("discord: read limits %s: %w", a, err)
	}
	return ra, rb, nil
}

func (l *DBLimiter) save(ctx context.Context, tx *store.Tx, key string, r limitRow, now time.Time) error {
	_, err := tx.Exec(ctx, upsertRow, l.service, key, r.learned, r.bucket, r.max, r.remaining, r.resetAt, r.resetKnown,
		r.refilledAt, r.holdUntil, r.busyUntil, now)
	if err != nil {
		return fmt.Errorf("discord: write limits %s: %w", key, err)
	}
	return nil
}

// lockBot locks the bot's global row (making it on first use) and gives
// the global hold.
func (l *DBLimiter) lockBot(ctx context.Context, tx *store.Tx, now time.Time) (time.Time, error) {
	var hold time.Time
	for range 2 {
		err := tx.QueryRow(ctx, `SELECT hold_until FROM service_limits WHERE service = $1 AND key = 'global'`+l.forUpdate,
			l.service).Scan(&hold)
		if !errors.Is(err, store.ErrNoRows) {
			if err != nil {
				return hold, fmt.Errorf("discord: lock the limits of %s: %w", l.service, err)
			}
			return hold, nil
		}
		if _, err := tx.Exec(ctx, insertGlobal, l.service, noTime, now); err != nil {
			return hold, fmt.Errorf("discord: lock the limits of %s: %w", l.service, err)
		}
	}
	return hold, fmt.Errorf("discord: lock the limits of %s: the row vanished", l.service)
}

// inTx runs fn holding the bot's lock, with the clock read once the lock
// is held: another process's reservation just committed is then in the
// past of this one's.
//
// Why one locked row per bot: a reservation decides on several rows at
// once (the global window's, the route's, its bucket's) and writes some of
// them, and an answer rewrites the route and bucket a reservation read, so
// no single UPDATE ... RETURNING can take the decision, and locking each
// row in turn invites deadlocks between reservations and answers. Every
// transaction of a bot instead first locks the bot's "global" row (SELECT
// ... FOR UPDATE on PostgreSQL; SQLite's immediate transactions are
// serial already), so one process's reservation is committed before the
// next, from any process, reads. It costs one statement; bots never wait
// for one another; and a bot's 50 requests a second are well below the
// hundreds of these short transactions a second one row allows
// (BenchmarkDBLimiterWait). No HTTP call is ever made holding the lock.
func (l *DBLimiter) inTx(ctx context.Context, fn func(tx *store.Tx, now time.Time, globalHold time.Time) error) error {
	return l.db.InTx(ctx, func(tx *store.Tx) error {
		hold, err := l.lockBot(ctx, tx, ceilMicro(l.now()))
		if err != nil {
			return err
		}
		return fn(tx, ceilMicro(l.now()), hold)
	})
}

// reserve takes a slot for route and returns 0, or returns how long to
// wait before asking again.
func (l *DBLimiter) reserve(ctx context.Context, route Route) (time.Duration, error) {
	var wait time.Duration
	err := l.inTx(ctx, func(tx *store.Tx, now, globalHold time.Time) error {
		wait = globalHold.Sub(now)
		rKey, bKey := routeKey(route), routeKey(route)
		if name, ok := l.buckets.Load(rKey); ok {
			bKey = bucketKey(name.(string), route.Major)
		}
		r, b, err := l.loadTwo(ctx, tx, rKey, bKey)
		if err != nil {
			return err
		}
		wait = max(wait, r.holdUntil.Sub(now))
		switch {
		case !r.learned || r.bucket == "":
			bKey, b = "", newRow()
		case bucketKey(r.bucket, route.Major) != bKey:
			// Not known here yet, or Discord moved the route.
			l.buckets.Store(rKey, r.bucket)
			bKey = bucketKey(r.bucket, route.Major)
			if b, err = l.load(ctx, tx, bKey); err != nil {
				return err
			}
		}
		// Unknown: the route's bucket, or (its row gone) the bucket's limit.
		probe := !r.learned || (bKey != "" && !b.found)
		if probe && r.busyUntil.After(now) {
			wait = max(wait, min(r.busyUntil.Sub(now), l.poll))
		}
		if b.found {
			wait = max(wait, b.holdUntil.Sub(now))
			l.refill(&b, now)
			if b.remaining <= 0 {
				if b.resetKnown {
					wait = max(wait, b.resetAt.Sub(now))
				} else {
					// The window's first answers are on their way.
					wait = max(wait, min(b.resetAt.Sub(now), l.poll))
				}
			}
		}
		gw, err := l.globalWait(ctx, tx, now)
		if err != nil {
			return err
		}
		if wait = max(wait, gw); wait > 0 {
			return nil
		}
		if b.found {
			b.remaining--
			if err := l.save(ctx, tx, bKey, b, now); err != nil {
				return err
			}
		}
		if probe {
			r.busyUntil = now.Add(l.inFlight)
			if err := l.save(ctx, tx, rKey, r, now); err != nil {
				return err
			}
		}
		return l.recordSend(ctx, tx, now)
	})
	if err != nil {
		return 0, err
	}
	return wait, nil
}

// refill starts a bucket's next window once its reset has passed. Its end
// is unknown until an answer of the new window tells it; meanwhile the
// window is taken to last at most InFlight, which bounds the wait if that
// answer never comes.
func (l *DBLimiter) refill(b *limitRow, now time.Time) {
	if now.Before(b.resetAt) {
		return
	}
	b.remaining = max(b.max, 1)
	b.refilledAt = now
	b.resetAt = now.Add(l.inFlight)
	b.resetKnown = false
}

// globalWait tells how long until one more request fits the global
// sliding window: until enough of the last window's requests are older
// than globalWindow.
func (l *DBLimiter) globalWait(ctx context.Context, tx *store.Tx, now time.Time) (time.Duration, error) {
	type send struct {
		at time.Time
		n  int
	}
	sends, err := store.Collect(ctx, tx, selectSends, func(rows store.Rows, s *send) error {
		return rows.Scan(&s.at, &s.n)
	}, l.service, now.Add(-globalWindow))
	if err != nil {
		return 0, fmt.Errorf("discord: read the global window of %s: %w", l.service, err)
	}
	total := 0
	for _, s := range sends {
		total += s.n
	}
	over := total - l.perSecond + 1
	for _, s := range sends {
		if over <= 0 {
			break
		}
		over -= s.n
		if over <= 0 {
			return s.at.Add(globalWindow).Sub(now), nil
		}
	}
	return 0, nil
}

// recordSend counts a request in the global window. Every few requests it
// forgets those older than the window, and now and then the bot's rows
// left unused.
func (l *DBLimiter) recordSend(ctx context.Context, tx *store.Tx, now time.Time) error {
	if _, err := tx.Exec(ctx, insertSend, l.service, now); err != nil {
		return fmt.Errorf("discord: record a request of %s: %w", l.service, err)
	}
	l.mu.Lock()
	l.sends++
	forget := l.sends%forgetSendsEvery == 0
	clean := now.Sub(l.lastClean) >= cleanEvery || now.Before(l.lastClean)
	if clean {
		l.lastClean = now
	}
	l.mu.Unlock()
	if forget {
		if _, err := tx.Exec(ctx, deleteSends, l.service, now.Add(-globalWindow)); err != nil {
			return fmt.Errorf("discord: forget the requests of %s: %w", l.service, err)
		}
	}
	if clean {
		if _, err := tx.Exec(ctx, deleteStale, l.service, now.Add(-staleAfter), now); err != nil {
			return fmt.Errorf("discord: forget the unused limits of %s: %w", l.service, err)
		}
	}
	return nil
}

// Update implements Limiter.
func (l *DBLimiter) Update(ctx context.Context, route Route, info RateInfo) error {
	return l.inTx(ctx, func(tx *store.Tx, now, globalHold time.Time) error {
		var until time.Time
		if info.TooMany {
			until = ceilMicro(now.Add(info.RetryAfter))
		}
		if info.TooMany && (info.Global || info.Scope == "global") {
			if until.After(globalHold) {
				if _, err := tx.Exec(ctx, `UPDATE service_limits SET hold_until = $3, updated_at = $4 WHERE service = $1 AND key = $2`,
					l.service, globalKey, until, now); err != nil {
					return fmt.Errorf("discord: hold the limits of %s: %w", l.service, err)
				}
			}
			info.TooMany = false // held globally: neither route nor bucket
		}
		rKey, bKey := routeKey(route), routeKey(route)
		if info.Bucket != "" {
			bKey = bucketKey(info.Bucket, route.Major)
		}
		r, b, err := l.loadTwo(ctx, tx, rKey, bKey)
		if err != nil {
			return err
		}
		before := r
		// Its answer (or its failure) frees a route whose bucket is
		// unknown for the next request.
		r.busyUntil = noTime
		switch {
		case info.Bucket != "":
			r.learned, r.bucket = true, info.Bucket
		case info.Status >= 200 && info.Status < 300:
			// A success without a bucket: only the global limit applies.
			r.learned, r.bucket = true, ""
		}
		if info.TooMany && info.Bucket == "" && until.After(r.holdUntil) {
			r.holdUntil = until
		}
		// Most answers change nothing of the route: its row is written
		// then only to show it in use, once in a while.
		same := r.learned == before.learned && r.bucket == before.bucket && r.holdUntil.Equal(before.holdUntil) &&
			r.busyUntil.Equal(before.busyUntil)
		if !same || !r.found || now.Sub(r.updatedAt) > staleAfter/24 {
			if err := l.save(ctx, tx, rKey, r, now); err != nil {
				return err
			}
		}
		if info.Bucket == "" || (!info.HasRemaining && !info.TooMany) {
			return nil
		}
		l.buckets.Store(rKey, info.Bucket)
		if info.HasRemaining {
			l.learn(&b, info, now)
		}
		if info.TooMany {
			if !b.found {
				b.max, b.resetAt, b.resetKnown = max(info.Limit, 1), until, true
			}
			b.remaining = 0
			b.holdUntil = later(b.holdUntil, until)
		}
		b.found = true
		return l.save(ctx, tx, bKey, b, now)
	})
}

// learn records a bucket's headers. Answers arrive out of order and late:
// one of the window the bucket is in lowers what remains (never raises it:
// requests reserved since are not in its count); one of an earlier window
// is ignored; one of a later window starts it.
func (l *DBLimiter) learn(b *limitRow, info RateInfo, now time.Time) {
	reset := ceilMicro(now.Add(info.ResetAfter + resetMargin))
	if info.Limit > 0 {
		b.max = info.Limit
	} else {
		b.max = max(b.max, info.Remaining+1)
	}
	if !b.found {
		b.remaining, b.resetAt, b.resetKnown, b.refilledAt = info.Remaining, reset, true, noTime
		return
	}
	l.refill(b, now)
	switch {
	case !b.resetKnown:
		// Refilled: an answer whose reset is not clearly past the refill
		// belongs to the window before.
		if reset.After(b.refilledAt.Add(sameWindow)) {
			b.remaining = min(b.remaining, info.Remaining)
			b.resetAt, b.resetKnown = reset, true
		}
	case reset.Before(b.resetAt.Add(-sameWindow)):
		// Of an earlier window.
	case reset.After(b.resetAt.Add(sameWindow)):
		// Discord began a window the limiter did not see begin: the
		// requests reserved meanwhile may count in it, so what remains
		// can only fall.
		b.remaining = min(b.remaining, info.Remaining)
		b.resetAt = reset
	default:
		b.remaining = min(b.remaining, info.Remaining)
		b.resetAt = later(b.resetAt, reset)
	}
}

// Forget deletes every row of the bot, for a connector removed for good.
func (l *DBLimiter) Forget(ctx context.Context) error {
	return l.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM service_limit_sends WHERE service = $1`, l.service); err != nil {
			return fmt.Errorf("discord: forget the limits of %s: %w", l.service, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM service_limits WHERE service = $1`, l.service); err != nil {
			return fmt.Errorf("discord: forget the limits of %s: %w", l.service, err)
		}
		return nil
	})
}

// ceilMicro rounds t up to the microsecond the databases keep: an instant
// stored a little early would let a request go a little early.
func ceilMicro(t time.Time) time.Time {
	if u := t.Truncate(time.Microsecond); !u.Equal(t) {
		return u.Add(time.Microsecond)
	}
	return t
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
