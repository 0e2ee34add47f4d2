package ratelimit_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// counting runs the same checks on any Counter, driving the clock by hand:
// requests count up within a window, keys count apart, and the first
// request once the window's length has passed begins a new window.
func counting(t *testing.T, c ratelimit.Counter) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	window := 10 * time.Second
	hit := func(key string, at time.Duration, wantStart time.Duration, wantRequests int64) {
		t.Helper()
		w, err := c.Hit(ctx, key, window, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		if !w.Start.Equal(t0.Add(wantStart)) || w.Requests != wantRequests {
			t.Errorf("%s at %s: window of %s with %d requests, want %s with %d",
				key, at, w.Start.Sub(t0), w.Requests, wantStart, wantRequests)
		}
	}
	hit("app:1", 0, 0, 1)
	hit("app:1", 2*time.Second, 0, 2)
	hit("app:2", 3*time.Second, 3*time.Second, 1)
	hit("app:1", 9999*time.Millisecond, 0, 3)
	// The window began at 0 and lasts 10 s: at 10 s a new one begins.
	hit("app:1", 10*time.Second, 10*time.Second, 1)
	hit("app:1", 11*time.Second, 10*time.Second, 2)
	hit("app:2", 12*time.Second, 3*time.Second, 2)
	// Long after: a new window at the request, not at a multiple of the
	// length.
	hit("app:1", 95*time.Second, 95*time.Second, 1)
}

func TestMemoryCounts(t *testing.T) { counting(t, ratelimit.NewMemory(0)) }

func TestSharedCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { counting(t, ratelimit.NewShared(db)) })
}

// TestSharedCountsEveryRequestOnce: requests counted at once from many
// connections (as from several processes) are each counted once, in one
// window.
func TestSharedCountsEveryRequestOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := ratelimit.NewShared(db)
		now := time.Now()
		const goroutines, each = 8, 25
		seen := make(chan int64, goroutines*each)
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					w, err := c.Hit(context.Background(), "ip:192.0.2.1", time.Hour, now)
					if err != nil {
						t.Error(err)
						return
					}
					seen <- w.Requests
				}
			})
		}
		wg.Wait()
		close(seen)
		counts := map[int64]bool{}
		for n := range seen {
			if counts[n] {
				t.Errorf("count %d given twice", n)
			}
			counts[n] = true
		}
		for n := int64(1); n <= goroutines*each; n++ {
			if !counts[n] {
				t.Errorf("count %d never given", n)
			}
		}
	})
}

// TestMemoryDropsEndedWindows: windows that ended are dropped as time
// passes, without a full table to make room for.
func TestMemoryDropsEndedWindows(t *testing.T) {
	ctx := context.Background()
	m := ratelimit.NewMemory(1000)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range 500 {
		if _, err := m.Hit(ctx, fmt.Sprint(i), time.Second, t0); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 500 {
		t.Fatalf("%d windows kept, want 500", m.Len())
	}
	// A second on, each request drops the ended windows of its shard;
	// keys of every shard drop them all.
	later := t0.Add(time.Second)
	for i := range 500 {
		m.Hit(ctx, fmt.Sprint("new", i), time.Second, later)
	}
	if m.Len() != 500 {
		t.Errorf("after the windows ended: %d windows, want only the 500 new", m.Len())
	}
	if w, ok := m.Peek("new7", later); !ok || w.Requests != 1 || !w.Start.Equal(later) {
		t.Errorf("peek of an open window: %+v %t", w, ok)
	}
	if _, ok := m.Peek("7", later); ok {
		t.Error("peek of an ended window gives it")
	}
	if _, ok := m.Peek("never", later); ok {
		t.Error("peek of an unknown key gives a window")
	}
	if w, _ := m.Peek("new7", later); w.Requests != 1 {
		t.Errorf("peek counted a request: %d", w.Requests)
	}
}

// TestMemoryFullStillLimits: a table full of open windows (a flood from
// as many addresses as it holds, within one window) still counts every new
// key, so a new address is limited as any other; it stays within its
// bound, dropping the oldest windows.
func TestMemoryFullStillLimits(t *testing.T) {
	ctx := context.Background()
	const bound = 1024
	m := ratelimit.NewMemory(bound)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range 4 * bound {
		m.Hit(ctx, fmt.Sprint("flood", i), time.Hour, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := m.Len(); n > bound || n < bound/2 {
		t.Errorf("%d windows kept, want at most %d (and not far fewer)", n, bound)
	}
	at := t0.Add(time.Minute)
	for want := int64(1); want <= 5; want++ {
		if w, _ := m.Hit(ctx, "newcomer", time.Hour, at); w.Requests != want || !w.Start.Equal(at) {
			t.Fatalf("a new key in a full table: %d requests from %s, want %d from its first", w.Requests, w.Start, want)
		}
	}
	// The latest flood keys are the ones kept.
	if _, ok := m.Peek(fmt.Sprint("flood", 4*bound-1), at); !ok {
		t.Error("the newest window was dropped")
	}
	if _, ok := m.Peek("flood0", at); ok {
		t.Error("the oldest window was kept over newer ones")
	}
}

// TestMemoryMixedWindows: windows of different lengths in one Memory each
// end when they should, and the order kept stays bounded.
func TestMemoryMixedWindows(t *testing.T) {
	ctx := context.Background()
	m := ratelimit.NewMemory(64)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	m.Hit(ctx, "long", time.Hour, t0)
	// 3,000 one-second windows, all within the hour's: the hour's window,
	// at the front of the order, holds up every stale entry behind it.
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Second)
		if w, _ := m.Hit(ctx, fmt.Sprint("short", i%8), time.Second, at); w.Requests != 1 {
			t.Fatalf("a one-second window at %d: %d requests, want a new window", i, w.Requests)
		}
	}
	if w, ok := m.Peek("long", t0.Add(59*time.Minute)); !ok || w.Requests != 1 {
		t.Errorf("the hour's window: %+v %t", w, ok)
	}
	if n := m.Len(); n > 64 {
		t.Errorf("%d windows kept, want at most 64", n)
	}
}

// TestCheckAndHeaders: Neucore's numbers and formats (RateLimitAppTest):
// with 50 allowed per 10 s and a window begun 5 s ago holding 50 requests,
// the 51st is refused with remain -1, a reset of 5 and "51 requests in 5
// seconds"; the reset rounds up to a tenth, the elapsed time to the nearest.
func TestCheckAndHeaders(t *testing.T) {
	l := ratelimit.Limit{Max: 50, Window: 10 * time.Second}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		requests            int64
		at                  time.Duration
		remain, reset, body string
		exceeded, first     bool
	}{
		{1, 0, "49", "10", "", false, false},
		{50, 4500 * time.Millisecond, "0", "5.5", "", false, false},
		{51, 5 * time.Second, "-1", "5", "Application rate limit exceeded with 51 requests in 5 seconds.", true, true},
		{52, 5449 * time.Millisecond, "-2", "4.6", "Application rate limit exceeded with 52 requests in 5.4 seconds.", true, false},
		{60, 9990 * time.Millisecond, "-10", "0.1", "Application rate limit exceeded with 60 requests in 10 seconds.", true, false},
	} {
		r := l.Check(ratelimit.Window{Start: t0, Requests: tc.requests}, t0.Add(tc.at))
		rec := httptest.NewRecorder()
		ratelimit.SetHeaders(rec.Header(), r)
		if got := rec.Header().Get(ratelimit.HeaderRemain); got != tc.remain {
			t.Errorf("%d requests: remain %q, want %q", tc.requests, got, tc.remain)
		}
		if got := rec.Header().Get(ratelimit.HeaderReset); got != tc.reset {
			t.Errorf("%d requests at %s: reset %q, want %q", tc.requests, tc.at, got, tc.reset)
		}
		if r.Exceeded() != tc.exceeded || r.FirstExceeded() != tc.first {
			t.Errorf("%d requests: exceeded %t, first %t", tc.requests, r.Exceeded(), r.FirstExceeded())
		}
		if !tc.exceeded {
			continue
		}
		if want := map[bool]slog.Level{true: slog.LevelInfo, false: slog.LevelDebug}[tc.first]; r.LogLevel() != want {
			t.Errorf("%d requests: logged at %v, want %v", tc.requests, r.LogLevel(), want)
		}
		ratelimit.Refuse(rec, "Application", r)
		if rec.Code != http.StatusTooManyRequests || rec.Body.String() != tc.body {
			t.Errorf("%d requests: %d %q, want 429 %q", tc.requests, rec.Code, rec.Body.String(), tc.body)
		}
		if rec.Header().Get("Retry-After") == "" {
			t.Errorf("%d requests: no Retry-After", tc.requests)
		}
	}
}

// TestHeadersShowTheLowerRemain: under two limits, the response shows the
// one with fewer requests left, and on a tie the first set (the address's).
func TestHeadersShowTheLowerRemain(t *testing.T) {
	ip := ratelimit.Result{Remaining: 5, ResetIn: 30 * time.Second}
	for _, tc := range []struct {
		app                   ratelimit.Result
		wantRemain, wantReset string
	}{
		{ratelimit.Result{Remaining: 2, ResetIn: 3 * time.Second}, "2", "3"},
		{ratelimit.Result{Remaining: 9, ResetIn: 3 * time.Second}, "5", "30"},
		{ratelimit.Result{Remaining: 5, ResetIn: 3 * time.Second}, "5", "30"},
		{ratelimit.Result{Remaining: -1, ResetIn: 3 * time.Second}, "-1", "3"},
	} {
		h := http.Header{}
		ratelimit.SetHeaders(h, ip)
		ratelimit.SetHeaders(h, tc.app)
		if h.Get(ratelimit.HeaderRemain) != tc.wantRemain || h.Get(ratelimit.HeaderReset) != tc.wantReset {
			t.Errorf("app remain %d: headers %s/%s, want %s/%s", tc.app.Remaining,
				h.Get(ratelimit.HeaderRemain), h.Get(ratelimit.HeaderReset), tc.wantRemain, tc.wantReset)
		}
	}
}
