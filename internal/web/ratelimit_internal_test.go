package web

import (
	"encoding/base64"
	"net/http/httptest"
	"net/netip"
	"testing"
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
		{"garbage stops at the last trusted hop", "10.0.0.2:443", []string{"203.0.113.9, junk"}, "10.0.0.2"},
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
