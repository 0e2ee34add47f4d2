package esi

import (
	"net/http"
	"testing"
	"time"
)

// The header parsers read what any server or proxy sends: whatever comes,
// they must not panic, and what they accept must stay within bounds that
// cannot make the gate wait for ever.
func FuzzHeaders(f *testing.F) {
	for _, s := range [][5]string{
		{"100", "60", "char-location", "1200/15m", "1190"},
		{"0", "3", "corp-member", "300/15m", "0"},
		{"-1", "x", "", "600", "abc"},
		{"99999999999999999999", "1e9", "a:b", "1/0s", "-5"},
		{" 7 ", "Wed, 21 Oct 2026 07:28:00 GMT", "g", "10/1h30m", "11"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	now := testStart
	f.Fuzz(func(t *testing.T, remain, reset, group, limit, remaining string) {
		h := http.Header{}
		h.Set("X-ESI-Error-Limit-Remain", remain)
		h.Set("X-ESI-Error-Limit-Reset", reset)
		h.Set("X-Ratelimit-Group", group)
		h.Set("X-Ratelimit-Limit", limit)
		h.Set("X-Ratelimit-Remaining", remaining)
		h.Set("Retry-After", reset)
		h.Set("X-Pages", remain)
		h.Set("Expires", reset)
		h.Set("Last-Modified", limit)
		if r, d, ok := errorLimit(h); ok && (r < 0 || d < 0 || d > maxHeaderWait) {
			t.Errorf("errorLimit(%q, %q) = %d, %v", remain, reset, r, d)
		}
		if b, ok := rateLimit(h); ok && (b.group == "" || b.limit < 1 || b.window < time.Second || b.window > maxHeaderWait ||
			b.remaining < 0 || b.remaining > b.limit) {
			t.Errorf("rateLimit(%q, %q, %q) = %+v", group, limit, remaining, b)
		}
		if d, ok := retryAfter(h, now); ok && (d < 0 || d > maxHeaderWait) {
			t.Errorf("retryAfter(%q) = %v", reset, d)
		}
		if p := pages(h); p < 1 || p > maxPages {
			t.Errorf("pages(%q) = %d", remain, p)
		}
		if e := expiry(h, now); e.Before(now) || e.After(now.Add(maxHeaderWait+time.Hour)) {
			t.Errorf("expiry(%q) = %v", reset, e)
		}
		_ = httpTime(h, "Last-Modified")
	})
}

// ESI's error bodies are read for their message whatever they hold.
func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{`{"error":"Character not found"}`, `<html>502 Bad Gateway</html>`, ``, `{"error":1}`, "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if m := errorMessage(body); len(m) > 310 {
			t.Errorf("message of %d bytes", len(m))
		}
	})
}

func TestHeaderParsers(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-Ratelimit-Group", "char-location")
	h.Set("X-Ratelimit-Limit", "1200/15m")
	h.Set("X-Ratelimit-Remaining", "1190")
	if b, ok := rateLimit(h); !ok || b != (bucketState{"char-location", 1200, 15 * time.Minute, 1190}) {
		t.Errorf("rateLimit = %+v, %v", b, ok)
	}
	h.Set("X-Ratelimit-Limit", "1200")
	if _, ok := rateLimit(h); ok {
		t.Error("a limit without a window was accepted")
	}
	h.Set("Retry-After", testStart.Add(90*time.Second).Format(http.TimeFormat))
	if d, ok := retryAfter(h, testStart); !ok || d != 90*time.Second {
		t.Errorf("Retry-After as a date: %v, %v", d, ok)
	}
	h.Set("Retry-After", "soon")
	if _, ok := retryAfter(h, testStart); ok {
		t.Error("Retry-After: soon was accepted")
	}
	h.Set("X-ESI-Error-Limit-Remain", "42")
	h.Set("X-ESI-Error-Limit-Reset", "17")
	if r, d, ok := errorLimit(h); !ok || r != 42 || d != 17*time.Second {
		t.Errorf("errorLimit = %d, %v, %v", r, d, ok)
	}
	h.Set("Expires", "yesterday")
	if e := expiry(h, testStart); !e.Equal(testStart) {
		t.Errorf("bad Expires gave %v, want now", e)
	}
	if m := errorMessage([]byte(`{"error":"Character not found"}`)); m != "Character not found" {
		t.Errorf("errorMessage = %q", m)
	}
}
