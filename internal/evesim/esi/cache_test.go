package esi

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestETagAndNotModified(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	path := fmt.Sprintf("/characters/%d", c.member)
	first := f.do("GET", path, "", nil).want(t, 200)
	etag := first.header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag %q is not a quoted string", etag)
	}

	req := f.newRequest("GET", path, "", nil)
	req.Header.Set("If-None-Match", etag)
	second := f.send(req).want(t, http.StatusNotModified)
	if len(second.body) != 0 {
		t.Errorf("304 with a body: %q", second.body)
	}
	for _, h := range []string{"ETag", "Last-Modified", "Expires", "Cache-Control"} {
		if second.header.Get(h) != first.header.Get(h) {
			t.Errorf("304 %s = %q, 200 had %q", h, second.header.Get(h), first.header.Get(h))
		}
	}

	req = f.newRequest("GET", path, "", nil)
	req.Header.Set("If-None-Match", `"something-else"`)
	f.send(req).want(t, 200)

	req = f.newRequest("GET", path, "", nil)
	req.Header.Set("If-Modified-Since", first.header.Get("Last-Modified"))
	f.send(req).want(t, http.StatusNotModified)
	req = f.newRequest("GET", path, "", nil)
	req.Header.Set("If-Modified-Since", testStart.Add(-time.Hour).Format(http.TimeFormat))
	f.send(req).want(t, 200)

	// A 304 costs one token on a bucketed route.
	st := f.do("GET", "/status", "", nil).want(t, 200)
	req = f.newRequest("GET", "/status", "", nil)
	req.Header.Set("If-None-Match", st.header.Get("ETag"))
	if got := f.send(req).want(t, http.StatusNotModified); got.header.Get("X-Ratelimit-Used") != "1" {
		t.Errorf("304 used %q tokens, want 1", got.header.Get("X-Ratelimit-Used"))
	}

	// A change to the character gives a new body, ETag and Last-Modified.
	f.clock.Advance(time.Hour)
	if err := f.u.Rename(c.member, "Renamed Pilot"); err != nil {
		t.Fatal(err)
	}
	req = f.newRequest("GET", path, "", nil)
	req.Header.Set("If-None-Match", etag)
	req.Header.Set("If-Modified-Since", first.header.Get("Last-Modified"))
	third := f.send(req).want(t, 200)
	if third.header.Get("ETag") == etag {
		t.Error("ETag unchanged after a rename")
	}
	want := f.clock.Now().UTC().Format(http.TimeFormat)
	if got := third.header.Get("Last-Modified"); got != want {
		t.Errorf("Last-Modified %q, want the rename's time %q", got, want)
	}
}

func TestExpiresAndCacheControl(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	tok := f.token(c.director, "esi-location.read_location.v1")
	for _, tc := range []struct {
		path, token, cacheControl string
		seconds                   int
	}{
		{"/status", "", "public, max-age=30", 30},
		{fmt.Sprintf("/characters/%d", c.director), "", "public, max-age=86400", 86400},
		{"/alliances", "", "public, max-age=3600", 3600},
		{fmt.Sprintf("/characters/%d/location", c.director), tok, "private, max-age=5", 5},
		// No x-cache-age in the spec: expires at once, revalidated by ETag.
		{"/universe/types/587", "", "public, max-age=0", 0},
	} {
		got := f.do("GET", tc.path, tc.token, nil).want(t, 200)
		if cc := got.header.Get("Cache-Control"); cc != tc.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, cc, tc.cacheControl)
		}
		want := f.clock.Now().Add(time.Duration(tc.seconds) * time.Second).UTC().Format(http.TimeFormat)
		if e := got.header.Get("Expires"); e != want {
			t.Errorf("%s: Expires %q, want %q", tc.path, e, want)
		}
	}
}
