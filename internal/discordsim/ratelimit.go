package discordsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// bucketSpec is one rate-limit bucket: the budgets AA measured on Discord
// (allianceauth discord_client/tests/rate_limits.md). Hash plays the opaque
// X-RateLimit-Bucket value; routes sharing a spec share counters.
type bucketSpec struct {
	hash   string
	limit  int
	period time.Duration
}

var (
	bucketMemberAdd    = bucketSpec{"b1f6c9e2a4d8member-add", 10, 10 * time.Second}
	bucketMemberModify = bucketSpec{"c7a2e5f1b3d9member-modify", 10, 10 * time.Second}
	bucketMemberRole   = bucketSpec{"a9d3f7c1e5b2member-role", 10, 10 * time.Second}
	bucketMemberGet    = bucketSpec{"d4b8e2a6c0f3member-get", 5, time.Second}
	bucketMemberRemove = bucketSpec{"e8c4a0d6b2f7member-remove", 5, time.Second}
	bucketRoleCreate   = bucketSpec{"f2e6b0c4a8d1role-create", 250, 50 * time.Hour}
	// bucketMemberList is listing a guild's members. Neither Discord's docs
	// nor AA's measurements give its budget; 10 per 10 s per guild is a
	// guess of the same order as the other member routes, so a client that
	// pages through members must read the headers rather than assume.
	bucketMemberList = bucketSpec{"b5d1f9a3c7e0member-list", 10, 10 * time.Second}
)

// GlobalLimit is the requests per second a bot may send over all routes.
const GlobalLimit = 50

// InvalidWindow is the window over which Discord counts invalid requests
// (401, 403, 429) before a temporary ban at 10,000.
const InvalidWindow = 10 * time.Minute

type bucket struct {
	spec      *bucketSpec
	remaining int
	reset     time.Time
}

func (b *bucket) resetAfter(now time.Time) time.Duration { return b.reset.Sub(now) }

func (b *bucket) headers(w http.ResponseWriter, now time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.spec.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(b.reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", seconds(b.resetAfter(now)))
	h.Set("X-RateLimit-Bucket", b.spec.hash)
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// window counts requests in fixed one-second windows (the global gate).
type window struct {
	start time.Time
	n     int
}

func (g *window) take(now time.Time) (retryAfter time.Duration, limited bool) {
	if now.Sub(g.start) >= time.Second || now.Before(g.start) {
		g.start, g.n = now, 0
	}
	if g.n >= GlobalLimit {
		return g.start.Add(time.Second).Sub(now), true
	}
	g.n++
	return 0, false
}

// sliding counts the bot's requests in the last second at every request,
// and keeps the most seen: what the global limit allows in any second,
// however Discord places its windows. It holds one second of times.
type sliding struct {
	recent  []time.Time
	busiest int
}

func (c *sliding) add(now time.Time) {
	if n := len(c.recent); n > 0 && now.Before(c.recent[n-1]) {
		c.recent = c.recent[:0] // a test's clock moved back
	}
	i := 0
	for i < len(c.recent) && !c.recent[i].After(now.Add(-time.Second)) {
		i++
	}
	c.recent = append(c.recent[i:], now)
	c.busiest = max(c.busiest, len(c.recent))
}

type limiter struct {
	buckets     map[string]*bucket
	global      window
	perSecond   sliding
	requests    map[string]int
	served429   int
	invalids    []time.Time
	forced      int
	forcedAfter time.Duration
	outage      int
}

func (l *limiter) init() {
	l.buckets = map[string]*bucket{}
	l.requests = map[string]int{}
}

// bucket finds the counter of spec for one top-level resource (the guild),
// refilled when its window has passed.
func (l *limiter) bucket(spec *bucketSpec, resource string, now time.Time) *bucket {
	key := spec.hash + ":" + resource
	b := l.buckets[key]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{spec: spec, remaining: spec.limit, reset: now.Add(spec.period)}
		l.buckets[key] = b
	}
	return b
}

func (l *limiter) invalid(now time.Time) { l.invalids = append(l.invalids, now) }

// tooMany answers 429 as Discord v10 does: Retry-After and retry_after in
// seconds (the body's a float), the scope, and whether it is the global gate.
// Scope "shared" 429s do not count as invalid requests.
func (l *limiter) tooMany(w http.ResponseWriter, now time.Time, after time.Duration, scope string, global bool) {
	l.served429++
	if scope != "shared" {
		l.invalid(now)
	}
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
	h.Set("X-RateLimit-Scope", scope)
	if global {
		h.Set("X-RateLimit-Global", "true")
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message": "You are being rate limited.", "retry_after": after.Seconds(), "global": global})
}

// Requests is how many requests a route got ("member modify", "roles list"…).
func (s *Server) Requests(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits.requests[route]
}

// Served429 is how many 429s the simulator has answered.
func (s *Server) Served429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits.served429
}

// InvalidRequests counts 401, 403 and non-shared 429 answers in the last ten
// minutes, the count Discord bans at 10,000.
func (s *Server) InvalidRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := s.now().Add(-InvalidWindow)
	n := 0
	for _, t := range s.limits.invalids {
		if t.After(since) {
			n++
		}
	}
	return n
}

// BusiestSecond is the most requests of the bot's (those the global
// limit counts) that arrived within one second, over a sliding window: at
// most GlobalLimit for a client that keeps the global limit, wherever
// Discord's own windows begin.
func (s *Server) BusiestSecond() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits.perSecond.busiest
}

// Force429 makes the next n authenticated requests answer 429 with scope
// "shared" and retry_after, as Discord does when a shared resource is busy.
func (s *Server) Force429(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits.forced, s.limits.forcedAfter = n, retryAfter
}

// SetOutage makes every REST request answer status (502, 503…) with a plain
// text body, as Discord's edge does when the API is down; 0 restores it.
func (s *Server) SetOutage(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status != 0 && (status < 500 || status > 599) {
		panic(fmt.Sprintf("discordsim: outage status %d is not 5xx", status))
	}
	s.limits.outage = status
}
