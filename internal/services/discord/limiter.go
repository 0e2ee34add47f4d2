package discord

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Route names one REST route for rate limiting: its method, its path
// template, and its top-level resource (the guild id, "" if none). Discord
// counts buckets per top-level resource, so two guilds never share counters.
type Route struct {
	Method, Template, Major string
}

func (r Route) key() string { return r.Method + " " + r.Template + " " + r.Major }

// RateInfo is what one answer said about rate limits. The zero value, with
// Status 0, stands for a request that got no answer (a network error): the
// limiter frees what it held for the answer.
type RateInfo struct {
	// Status is the answer's HTTP status; 0 when there was none.
	Status int
	Bucket string // X-RateLimit-Bucket; "" when the route has none
	// Limit is X-RateLimit-Limit, the bucket's requests per window (0:
	// not said).
	Limit        int
	HasRemaining bool
	Remaining    int
	ResetAfter   time.Duration
	// On a 429: how long to wait, whether it is the global limit, its scope.
	TooMany    bool
	RetryAfter time.Duration
	Global     bool
	Scope      string
}

// Limiter decides when a request may be sent. Wait blocks (honouring ctx)
// until route may be sent and reserves the slot; Update records what the
// answer said (the zero RateInfo when none came). A wait longer than the
// caller allows (WithMaxWait, or past ctx's deadline) is not slept: Wait
// returns a *WaitError saying how long the limit holds, for the caller to
// come back then. The in-memory MemoryLimiter serves one process;
// DBLimiter shares the budgets between the processes of one database, so
// its calls can fail.
type Limiter interface {
	Wait(ctx context.Context, route Route) error
	Update(ctx context.Context, route Route, info RateInfo) error
}

// GlobalPerSecond is Discord's global limit per bot.
const GlobalPerSecond = 50

// globalWindow is how long the limiters keep a bot to GlobalPerSecond
// requests: a second, and a margin. Discord counts a request when it
// arrives, and requests take more or less time on the way: fifty sent a
// second apart reach it closer together when the first took longer than
// the last. Without the margin, a burst of syncs on six guilds drew a
// global 429 from the simulated Discord, which saw the 51st request 998.5
// ms after the first, reserved 1001 ms apart (3 ms in flight against
// 0.3). Fifty ms were not enough on a loaded machine (the whole test
// suite under the race detector on two cores): a request waited longer
// than that between its reservation and its arrival, and the simulated
// Discord saw 51 in one second. 150 ms cover it, at 13 per cent of the
// budget, which only a burst on one bot ever reaches.
const globalWindow = time.Second + 150*time.Millisecond

// MemoryLimiter is the in-process Limiter.
type MemoryLimiter struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	mu    sync.Mutex
	// routeBucket maps a route key to the bucket Discord named for it.
	routeBucket map[string]string
	buckets     map[string]*bucketState // by bucket + ":" + major
	// blocked holds a 429's wait for routes whose bucket is unknown.
	blocked     map[string]time.Time
	globalUntil time.Time
	// sent is a ring of the last perSecond send times: a sliding window
	// (of globalWindow) is stricter than Discord's, so no one-second window
	// of theirs overflows.
	sent      []time.Time
	next      int
	perSecond int
}

type bucketState struct {
	remaining int
	reset     time.Time
}

// NewMemoryLimiter builds a limiter with the clock and sleep function
// (nil: real time) and a global budget per second (0: GlobalPerSecond).
func NewMemoryLimiter(now func() time.Time, sleep func(context.Context, time.Duration) error, perSecond int) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = realSleep
	}
	if perSecond <= 0 {
		perSecond = GlobalPerSecond
	}
	return &MemoryLimiter{now: now, sleep: sleep, routeBucket: map[string]string{},
		buckets: map[string]*bucketState{}, blocked: map[string]time.Time{}, perSecond: perSecond}
}

func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WaitError is a Limiter declining to wait longer than its caller allows:
// the limit holds for After.
type WaitError struct {
	After time.Duration
}

func (e *WaitError) Error() string {
	return "discord: rate limited for another " + e.After.Round(time.Millisecond).String()
}

type maxWaitKey struct{}

// WithMaxWait bounds each wait for the rate limits of the calls made with
// ctx: a longer one is a *WaitError rather than a sleep. A job that can be
// put off sets it, so that a limit held for minutes (a 429, an exhausted
// bucket) frees its worker.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, d)
}

// allowedWait is the longest wait ctx allows: WithMaxWait's, and no further
// than its deadline (in real time, whatever the limiter's clock).
func allowedWait(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(maxWaitKey{}).(time.Duration)
	if deadline, has := ctx.Deadline(); has {
		if left := time.Until(deadline); !ok || left < d {
			d, ok = left, true
		}
	}
	return d, ok
}

// Wait implements Limiter.
func (l *MemoryLimiter) Wait(ctx context.Context, route Route) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := l.reserve(route)
		if d <= 0 {
			return nil
		}
		if allowed, ok := allowedWait(ctx); ok && d > allowed {
			return &WaitError{After: d}
		}
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve takes a slot and returns 0, or returns how long to wait first.
func (l *MemoryLimiter) reserve(route Route) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	wait := l.globalUntil.Sub(now)
	if until, ok := l.blocked[route.key()]; ok {
		if d := until.Sub(now); d > wait {
			wait = d
		} else if d <= 0 {
			delete(l.blocked, route.key())
		}
	}
	var b *bucketState
	if hash, ok := l.routeBucket[route.key()]; ok {
		b = l.buckets[hash+":"+route.Major]
		if b != nil && !now.Before(b.reset) {
			b = nil // its window has passed: the next answer tells the new one
		}
		if b != nil && b.remaining <= 0 {
			if d := b.reset.Sub(now); d > wait {
				wait = d
			}
		}
	}
	if len(l.sent) == l.perSecond {
		if d := l.sent[l.next].Add(globalWindow).Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return wait
	}
	if b != nil {
		b.remaining--
	}
	if len(l.sent) < l.perSecond {
		l.sent = append(l.sent, now)
	} else {
		l.sent[l.next] = now
		l.next = (l.next + 1) % l.perSecond
	}
	return 0
}

// Update implements Limiter; in memory it cannot fail.
func (l *MemoryLimiter) Update(_ context.Context, route Route, info RateInfo) error {
	l.update(route, info)
	return nil
}

func (l *MemoryLimiter) update(route Route, info RateInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if info.Bucket != "" {
		l.routeBucket[route.key()] = info.Bucket
		if info.HasRemaining {
			// With the DBLimiter's margin: Discord rounds the reset to the
			// millisecond, and a request sent the moment a reset rounded
			// down has passed met the old window (a 429 of scope "user"
			// from the simulated Discord, on a sync of many members).
			l.buckets[info.Bucket+":"+route.Major] = &bucketState{remaining: info.Remaining, reset: now.Add(info.ResetAfter + resetMargin)}
		}
	}
	if !info.TooMany {
		return
	}
	until := now.Add(info.RetryAfter)
	switch {
	case info.Global || info.Scope == "global":
		if until.After(l.globalUntil) {
			l.globalUntil = until
		}
	case info.Bucket != "":
		b := l.buckets[info.Bucket+":"+route.Major]
		if b == nil {
			b = &bucketState{}
			l.buckets[info.Bucket+":"+route.Major] = b
		}
		b.remaining = 0
		if until.After(b.reset) {
			b.reset = until
		}
	default:
		l.blocked[route.key()] = until
	}
}

// rateInfo reads Discord's rate-limit headers; a 429's body fills in
// retry_after (float seconds in v10) and global.
func rateInfo(h http.Header) RateInfo {
	info := RateInfo{Bucket: h.Get("X-RateLimit-Bucket"), Scope: h.Get("X-RateLimit-Scope"),
		Global: h.Get("X-RateLimit-Global") == "true"}
	if v := h.Get("X-RateLimit-Limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			info.Limit = n
		}
	}
	if v := h.Get("X-RateLimit-Remaining"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			info.Remaining, info.HasRemaining = n, true
		}
	}
	if v := h.Get("X-RateLimit-Reset-After"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			info.ResetAfter = floatSeconds(f)
		} else {
			info.HasRemaining = false
		}
	} else {
		info.HasRemaining = false
	}
	return info
}

func floatSeconds(f float64) time.Duration {
	if f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
