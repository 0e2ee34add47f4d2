package esi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Legacy error limit: ESI's budget of non-2xx/3xx answers per client IP on
// routes without a rate-limit bucket.
const (
	errorBudget       = 100
	errorWindowLength = 60 * time.Second
)

// limiter keeps the rate-limit buckets and the error-limit windows. Both
// run on the universe clock, so tests drive them without sleeping.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	errs    map[string]*errorWindow
}

// bucket is a sliding-window token bucket: the tokens spent in the last
// window, oldest first. A request is refused while they reach the group's
// maximum; each spend frees up again one window after it was made.
type bucket struct {
	spent []spend
}

type spend struct {
	at   time.Time
	cost int
}

// errorWindow is a fixed window of the legacy error limit, opened by the
// first request after the previous window ended.
type errorWindow struct {
	start  time.Time
	errors int
}

func newLimiter() *limiter {
	return &limiter{buckets: map[string]*bucket{}, errs: map[string]*errorWindow{}}
}

// tokenCost is what an answer costs in a bucket: ESI charges 2 for 2xx, 1
// for 3xx, 5 for 4xx except 429, and nothing for 429 or 5xx (the server's
// fault, not the caller's).
func tokenCost(status int) int {
	switch {
	case status == http.StatusTooManyRequests:
		return 0
	case status >= 500:
		return 0
	case status >= 400:
		return 5
	case status >= 300:
		return 1
	default:
		return 2
	}
}

// used drops spends older than the window and sums the rest.
func (b *bucket) used(now time.Time, window time.Duration) int {
	i := 0
	for i < len(b.spent) && !now.Before(b.spent[i].at.Add(window)) {
		i++
	}
	b.spent = b.spent[i:]
	n := 0
	for _, s := range b.spent {
		n += s.cost
	}
	return n
}

func (l *limiter) bucket(rt *route, key string) *bucket {
	k := rt.group + "\x00" + key
	b := l.buckets[k]
	if b == nil {
		b = &bucket{}
		l.buckets[k] = b
	}
	return b
}

// bucketBlocked tells whether the caller's bucket of the route's group is
// empty, and if so how long until enough tokens free up to try again.
func (l *limiter) bucketBlocked(rt *route, key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(rt, key)
	used := b.used(now, rt.window)
	if used < rt.maxTokens {
		return 0, false
	}
	for _, s := range b.spent {
		used -= s.cost
		if used < rt.maxTokens {
			return s.at.Add(rt.window).Sub(now), true
		}
	}
	return rt.window, true // unreachable: the loop empties the bucket
}

// spend charges an answer to the caller's bucket and adds the rate-limit
// headers to it. The error limit's 420 is not the bucket's doing and costs
// nothing.
func (l *limiter) spend(rt *route, key string, now time.Time, rep *reply) {
	cost := tokenCost(rep.status)
	if rep.byLimiter {
		cost = 0
	}
	l.mu.Lock()
	b := l.bucket(rt, key)
	if cost > 0 {
		b.spent = append(b.spent, spend{at: now, cost: cost})
	}
	remaining := max(rt.maxTokens-b.used(now, rt.window), 0)
	l.mu.Unlock()
	h := rep.header
	h.Set("X-Ratelimit-Group", rt.group)
	h.Set("X-Ratelimit-Limit", strconv.Itoa(rt.maxTokens)+"/"+rt.windowText)
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Ratelimit-Used", strconv.Itoa(cost))
}

// window gives ip's current error window, opening a new one if the last
// has ended. The caller holds l.mu.
func (l *limiter) window(ip string, now time.Time) *errorWindow {
	w := l.errs[ip]
	if w == nil || !now.Before(w.start.Add(errorWindowLength)) {
		w = &errorWindow{start: now}
		l.errs[ip] = w
	}
	return w
}

// errorLimited tells whether ip has spent its error budget in the current
// window.
func (l *limiter) errorLimited(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.window(ip, now).errors >= errorBudget
}

// countError charges a non-2xx/3xx answer to ip's error budget (except the
// limiter's own 420) and adds the X-ESI-Error-Limit headers every answer of
// an unbucketed route carries.
func (l *limiter) countError(ip string, now time.Time, rep *reply) {
	l.mu.Lock()
	w := l.window(ip, now)
	if rep.status >= 400 && !rep.byLimiter {
		w.errors++
	}
	remain := max(errorBudget-w.errors, 0)
	reset := w.start.Add(errorWindowLength).Sub(now)
	l.mu.Unlock()
	rep.header.Set("X-ESI-Error-Limit-Remain", strconv.Itoa(remain))
	rep.header.Set("X-ESI-Error-Limit-Reset", strconv.Itoa(ceilSeconds(reset)))
}
