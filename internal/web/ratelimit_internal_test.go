package web

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
)

// TestClientAddr: the peer is the client unless it is a trusted proxy;
// behind trusted proxies, X-Forwarded-For is read from the right, so an
// address the client put in the header itself is never believed.
func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client", "198.51.100.7:5000", nil, "198.51.100.7"},
		{"direct client's header ignored", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"one proxy", "10.0.0.2:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "10.0.0.2:443", []string{"203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"forged entry left of the real client", "10.0.0.2:443", []string{"192.0.2.66, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines", "10.0.0.2:443", []string{"192.0.2.66", "203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"proxy without header", "10.0.0.2:443", nil, "10.0.0.2"},
		{"garbage passed over, not taken for the proxy", "10.0.0.2:443", []string{"203.0.113.9, junk"}, "203.0.113.9"},
		{"only garbage: the last trusted hop", "10.0.0.2:443", []string{"junk, 1.2.3.4:x, [::1, fe80::1%eth0"}, "10.0.0.2"},
		{"IPv4 with a port", "10.0.0.2:443", []string{"203.0.113.9:5678"}, "203.0.113.9"},
		{"IPv6 in brackets with a port", "10.0.0.2:443", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 in brackets", "10.0.0.2:443", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 bare", "10.0.0.2:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"trusted hop with a port passed", "10.0.0.2:443", []string{"203.0.113.9:1, 10.0.0.3:8080"}, "203.0.113.9"},
		{"forged entry left of a real client with a port", "10.0.0.2:443", []string{"192.0.2.66, 203.0.113.9:5678"}, "203.0.113.9"},
		{"IPv4-mapped with a port", "10.0.0.2:443", []string{"[::ffff:203.0.113.9]:80"}, "203.0.113.9"},
		{"IPv6 proxy", "[::1]:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", "[::ffff:198.51.100.7]:5000", nil, "198.51.100.7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		got, ok := clientAddr(r, proxies)
		if !ok || got.String() != tc.want {
			t.Errorf("%s: %s %t, want %s", tc.name, got, ok, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "pipe"
	if _, ok := clientAddr(r, proxies); ok {
		t.Error("an unreadable peer was read")
	}
}

func TestLimitKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7":          "198.51.100.7",
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::99": "2001:db8:1:2::/64",
	} {
		if got := limitKey(netip.MustParseAddr(in), true, ""); got != want {
			t.Errorf("limitKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := limitKey(netip.Addr{}, false, "pipe"); got != "pipe" {
		t.Errorf("unreadable peer: %s", got)
	}
}

func TestBearerAppID(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer " + base64.StdEncoding.EncodeToString([]byte("7:secret")): "7",
		"Bearer " + base64.StdEncoding.EncodeToString([]byte("x:secret")): "",
		"Bearer " + base64.StdEncoding.EncodeToString([]byte("7")):        "",
		"Bearer !!!": "",
		"Basic " + base64.StdEncoding.EncodeToString([]byte("7:secret")): "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		if got := bearerAppID(r); got != want {
			t.Errorf("%q: %q, want %q", header, got, want)
		}
	}
}

// TestAddressLimitFullTable: with the table full of open windows (a flood
// from ratelimit.DefaultMaxKeys addresses within one window), an address
// never seen before is still limited.
func TestAddressLimitFullTable(t *testing.T) {
	h := limitedHandler(t, "2")
	for i := range ratelimit.DefaultMaxKeys {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-For", floodAddr(i))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	for i, want := range []int{200, 200, 429, 429} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("request %d of a new address with the table full: %d, want %d", i+1, rec.Code, want)
		}
	}
}

// limitedHandler is the per-address limit of max requests an hour, behind
// httptest's peer as the trusted proxy, around a handler that answers 200.
func limitedHandler(tb testing.TB, max string) http.Handler {
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz",
		"KEEPSTAR_RATE_LIMIT_IP_MAX": max, "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "1h", "KEEPSTAR_TRUSTED_PROXIES": "192.0.2.1"}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{deps: Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler)}}
	return s.limitAddresses(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
}

// floodAddr is the i-th address of a flood, in 10.0.0.0/8.
func floodAddr(i int) string {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
}
