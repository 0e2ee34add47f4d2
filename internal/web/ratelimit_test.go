package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/ratelimit"
)

// TestAddressLimit: with a per-address limit, every response shows how
// many requests remain; beyond the limit the answer is 429 with Neucore's
// text; the operational endpoints are never limited; and behind a trusted
// proxy each client counts apart.
func TestAddressLimit(t *testing.T) {
	f := newFixture(t, map[string]string{"KEEPSTAR_RATE_LIMIT_IP_MAX": "3", "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "1h",
		"KEEPSTAR_TRUSTED_PROXIES": "127.0.0.1"})
	for i, want := range []string{"2", "1", "0"} {
		res, _ := f.do(t, "GET", "/no-such-page", nil)
		if res.StatusCode != 404 || res.Header.Get(ratelimit.HeaderRemain) != want {
			t.Errorf("request %d: %d, remain %q; want 404 and %s", i+1, res.StatusCode, res.Header.Get(ratelimit.HeaderRemain), want)
		}
		if reset, err := strconv.ParseFloat(res.Header.Get(ratelimit.HeaderReset), 64); err != nil || reset <= 3590 || reset > 3600 {
			t.Errorf("request %d: reset %q, want the hour's window", i+1, res.Header.Get(ratelimit.HeaderReset))
		}
	}
	res, body := f.do(t, "GET", "/no-such-page", nil)
	if res.StatusCode != 429 || !strings.HasPrefix(body, "IP rate limit exceeded with 4 requests in ") ||
		!strings.HasSuffix(body, " seconds.") || res.Header.Get(ratelimit.HeaderRemain) != "-1" {
		t.Errorf("over the limit: %s %q, remain %q", res.Status, body, res.Header.Get(ratelimit.HeaderRemain))
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Retry-After") == "" {
		t.Errorf("429 without the security headers or Retry-After: %v", res.Header)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if res, _ := f.do(t, "GET", path, nil); res.StatusCode != 200 || res.Header.Get(ratelimit.HeaderRemain) != "" {
			t.Errorf("%s: %s, remain %q; want 200, not limited", path, res.Status, res.Header.Get(ratelimit.HeaderRemain))
		}
	}
	// Through the trusted proxy (the test's own address), another client.
	res, _ = f.do(t, "GET", "/no-such-page", map[string]string{"X-Forwarded-For": "198.51.100.7"})
	if res.StatusCode != 404 || res.Header.Get(ratelimit.HeaderRemain) != "2" {
		t.Errorf("another client behind the proxy: %d, remain %q", res.StatusCode, res.Header.Get(ratelimit.HeaderRemain))
	}
}

// TestAddressLimitIgnoresForwardedForByDefault: with no trusted proxy, a
// client cannot escape its count by sending X-Forwarded-For.
func TestAddressLimitIgnoresForwardedForByDefault(t *testing.T) {
	f := newFixture(t, map[string]string{"KEEPSTAR_RATE_LIMIT_IP_MAX": "2"})
	for i, xff := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		res, _ := f.do(t, "GET", "/no-such-page", map[string]string{"X-Forwarded-For": xff})
		if want := map[bool]int{true: 429, false: 404}[i == 2]; res.StatusCode != want {
			t.Errorf("request %d claiming %s: %d, want %d", i+1, xff, res.StatusCode, want)
		}
	}
}

// TestNoAddressLimitByDefault: without the setting, no header, no limit.
func TestNoAddressLimitByDefault(t *testing.T) {
	f := newFixture(t, nil)
	for range 3 {
		if res, _ := f.do(t, "GET", "/no-such-page", nil); res.StatusCode != 404 || res.Header.Get(ratelimit.HeaderRemain) != "" {
			t.Fatalf("%d, remain %q; want 404 and no header", res.StatusCode, res.Header.Get(ratelimit.HeaderRemain))
		}
	}
}
