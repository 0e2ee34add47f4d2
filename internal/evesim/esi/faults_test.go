package esi

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const ip = "192.0.2.50:1"
	if err := f.srv.FailNext("GET /status", 503, 2); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got := f.local("GET", "/status", "", ip).want(t, 503)
		got.errorText(t)
		// A server error costs no tokens.
		if got.header.Get("X-Ratelimit-Used") != "0" || got.header.Get("X-Ratelimit-Remaining") != "600" {
			t.Errorf("forced 503: used %s remaining %s", got.header.Get("X-Ratelimit-Used"), got.header.Get("X-Ratelimit-Remaining"))
		}
	}
	f.local("GET", "/status", "", ip).want(t, 200)

	// On an unbucketed route a forced 520 counts against the error limit.
	if err := f.srv.FailNext(AllRoutes, 520, 1); err != nil {
		t.Fatal(err)
	}
	got := f.local("GET", fmt.Sprintf("/characters/%d", c.member), "", ip).want(t, 520)
	if got.header.Get("X-ESI-Error-Limit-Remain") != "99" {
		t.Errorf("forced 520: error-limit remain %s, want 99", got.header.Get("X-ESI-Error-Limit-Remain"))
	}
	f.local("GET", fmt.Sprintf("/characters/%d", c.member), "", ip).want(t, 200)

	for _, status := range []int{500, 502, 504} {
		if err := f.srv.FailNext("GET /alliances", status, 1); err != nil {
			t.Fatal(err)
		}
		f.local("GET", "/alliances", "", ip).want(t, status)
	}
	if err := f.srv.FailNext("GET /alliances", 404, 1); !errors.Is(err, ErrFaultStatus) {
		t.Errorf("FailNext 404: %v, want ErrFaultStatus", err)
	}
	if err := f.srv.FailNext("GET /nowhere", 500, 1); !errors.Is(err, ErrUnknownRoute) {
		t.Errorf("FailNext on an unknown route: %v, want ErrUnknownRoute", err)
	}
}

func TestErrorStormAndThrottle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const ip = "192.0.2.60:1"
	if err := f.srv.StartErrorStorm(AllRoutes, time.Minute); err != nil {
		t.Fatal(err)
	}
	f.local("GET", "/alliances", "", ip).want(t, 420)
	f.local("GET", "/status", "", ip).want(t, 420)
	f.clock.Advance(time.Minute)
	f.local("GET", "/alliances", "", ip).want(t, 200)

	if err := f.srv.ThrottleNext("GET /alliances", 1, 2500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := f.local("GET", "/alliances", "", ip).want(t, 429)
	if got.header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After %q, want 3", got.header.Get("Retry-After"))
	}
	f.local("GET", "/alliances", "", ip).want(t, 200)

	if err := f.srv.FailNext(AllRoutes, 500, 5); err != nil {
		t.Fatal(err)
	}
	f.srv.ClearFaults()
	f.local("GET", "/alliances", "", ip).want(t, 200)
}

func TestLatency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.srv.SetLatency("GET /alliances", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.srv.faults.latency("GET /alliances"); d != time.Millisecond {
		t.Errorf("latency %v, want 1ms", d)
	}
	f.do("GET", "/alliances", "", nil).want(t, 200)
	if err := f.srv.SetLatency("GET /alliances", 0); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.srv.faults.latency("GET /alliances"); d != 0 {
		t.Errorf("latency %v after removal", d)
	}
	// A caller that gives up while the answer is delayed gets nothing.
	if err := f.srv.SetLatency(AllRoutes, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/alliances", nil)
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 || rec.Header().Get("X-ESI-Error-Limit-Remain") != "" {
		t.Errorf("cancelled request during latency answered: %v %q", rec.Header(), rec.Body)
	}
	// Clearing the faults answers a request the latency still holds.
	answered := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/alliances", nil))
		answered <- rec.Code
	}()
	for f.srv.Requests()["GET /alliances"] < 3 {
		time.Sleep(time.Millisecond) // until the request is held
	}
	f.srv.ClearFaults()
	if code := <-answered; code != 200 {
		t.Errorf("held request answered %d after clearing, want 200", code)
	}
}
