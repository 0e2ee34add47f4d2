package esi

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

func TestRateLimitBucket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const scope = "esi-corporations.read_corporation_membership.v1"
	tok := f.token(c.member, scope)
	path := fmt.Sprintf("/corporations/%d/members", c.corp)
	const ip = "192.0.2.1:5000"

	first := f.local("GET", path, tok, ip).want(t, 200)
	for h, want := range map[string]string{
		"X-Ratelimit-Group": "corp-member", "X-Ratelimit-Limit": "300/15m",
		"X-Ratelimit-Remaining": "298", "X-Ratelimit-Used": "2",
	} {
		if got := first.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if first.header.Get("X-ESI-Error-Limit-Remain") != "" {
		t.Error("bucketed route sends the legacy error-limit headers")
	}
	// A 4xx costs 5 (here a 403 for another corporation's members).
	other := f.local("GET", "/corporations/1/members", tok, ip).want(t, 403)
	if other.header.Get("X-Ratelimit-Used") != "5" || other.header.Get("X-Ratelimit-Remaining") != "293" {
		t.Errorf("403 used %s remaining %s, want 5 and 293", other.header.Get("X-Ratelimit-Used"), other.header.Get("X-Ratelimit-Remaining"))
	}
	// 293 tokens: 146 answers of 2 leave 1 token, and one more is allowed
	// while anything remains.
	f.clock.Advance(time.Minute)
	for i := range 147 {
		if got := f.local("GET", path, tok, ip); got.status != 200 {
			t.Fatalf("request %d: status %d, remaining %s", i, got.status, got.header.Get("X-Ratelimit-Remaining"))
		}
	}
	blocked := f.local("GET", path, tok, ip).want(t, 429)
	// The first 7 tokens were spent a minute before the rest: they free up
	// 14 minutes from now, enough to get under the limit.
	if ra := blocked.header.Get("Retry-After"); ra != strconv.Itoa(14*60) {
		t.Errorf("Retry-After %q, want %d", ra, 14*60)
	}
	if blocked.header.Get("X-Ratelimit-Remaining") != "0" || blocked.header.Get("X-Ratelimit-Used") != "0" {
		t.Errorf("429 headers %v", blocked.header)
	}
	blocked.errorText(t)
	f.local("GET", path, tok, ip).want(t, 429) // a 429 costs nothing and frees nothing

	// Buckets are per application and character: another character of the
	// same IP and corporation is not limited.
	f.local("GET", path, f.token(c.director, scope), ip).want(t, 200)

	f.clock.Advance(14*time.Minute - time.Second)
	f.local("GET", path, tok, ip).want(t, 429)
	f.clock.Advance(time.Second)
	f.local("GET", path, tok, ip).want(t, 200)
}

func TestRateLimitAnonymousPerIP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for range 300 {
		f.local("GET", "/status", "", "198.51.100.1:1").want(t, 200)
	}
	got := f.local("GET", "/status", "", "198.51.100.1:2").want(t, 429)
	if got.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q, want 900", got.header.Get("Retry-After"))
	}
	f.local("GET", "/status", "", "198.51.100.2:1").want(t, 200)
	f.clock.Advance(15 * time.Minute)
	f.local("GET", "/status", "", "198.51.100.1:1").want(t, 200)
}

func TestErrorLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const ip = "203.0.113.9:4000"
	good := fmt.Sprintf("/characters/%d", c.member)

	ok := f.local("GET", good, "", ip).want(t, 200)
	if ok.header.Get("X-ESI-Error-Limit-Remain") != "100" || ok.header.Get("X-ESI-Error-Limit-Reset") != "60" {
		t.Errorf("error-limit headers %v", ok.header)
	}
	f.clock.Advance(10 * time.Second)
	for i := range 100 {
		got := f.local("GET", "/characters/1", "", ip).want(t, 404)
		if want := strconv.Itoa(99 - i); got.header.Get("X-ESI-Error-Limit-Remain") != want {
			t.Fatalf("error %d: remain %s, want %s", i, got.header.Get("X-ESI-Error-Limit-Remain"), want)
		}
		if got.header.Get("X-ESI-Error-Limit-Reset") != "50" {
			t.Fatalf("reset %s, want 50", got.header.Get("X-ESI-Error-Limit-Reset"))
		}
	}
	// Every unbucketed route now answers 420, good requests too.
	for _, path := range []string{good, "/alliances", "/universe/types/587", "/no/such/route"} {
		got := f.local("GET", path, "", ip).want(t, 420)
		if got.errorText(t) == "" || got.header.Get("X-ESI-Error-Limit-Remain") != "0" {
			t.Errorf("%s: 420 headers %v", path, got.header)
		}
	}
	// Bucketed routes answer 420 too, without spending tokens, and keep
	// their own headers.
	st := f.local("GET", "/status", "", ip).want(t, 420)
	if st.header.Get("X-Ratelimit-Used") != "0" || st.header.Get("X-Ratelimit-Remaining") != "600" || st.header.Get("X-ESI-Error-Limit-Remain") != "" {
		t.Errorf("bucketed 420 headers %v", st.header)
	}
	f.local("GET", good, "", "203.0.113.10:1").want(t, 200)

	f.clock.Advance(49 * time.Second)
	f.local("GET", good, "", ip).want(t, 420)
	f.clock.Advance(time.Second)
	f.local("GET", "/status", "", ip).want(t, 200)
	got := f.local("GET", good, "", ip).want(t, 200)
	if got.header.Get("X-ESI-Error-Limit-Remain") != "100" {
		t.Errorf("after reset: remain %s", got.header.Get("X-ESI-Error-Limit-Remain"))
	}
}
