package appapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// expectRefusal checks a 400 of the proxy in both versions' forms: v1's
// reason phrase and empty body, v2's JSON string.
func (s *esiSite) expectRefusal(t *testing.T, method, path, auth, reason string, headers ...string) {
	t.Helper()
	for _, v := range []string{"v1", "v2"} {
		full := "/api/app/" + v + path
		res, body := s.do(t, method, full, auth, "[]", headers...)
		if v == "v1" && (res.Status != "400 "+reason || body != "") {
			t.Errorf("%s %s %q: %s %q; want the reason %q", method, full, headers, res.Status, body, reason)
		}
		if want, _ := json.Marshal(reason); v == "v2" && (res.StatusCode != 400 || body != string(want)) {
			t.Errorf("%s %s %q: %s %s; want 400 %s", method, full, headers, res.Status, body, want)
		}
	}
}

// Paths that are not a route of ESI as written are refused before ESI is
// asked: dot segments (plain or encoded), empty segments, encoded slashes,
// control characters, and paths of no route, whichever form carries them.
func TestESIProxyRefusesPathsOutsideESI(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default")
			main := strconv.Itoa(int(s.main))
			const badPath = "The ESI path is not valid: dot or empty segments, encoded slashes or dots, " +
				"and characters other than letters, digits, -._~ and / are refused."
			const noRoute = "The path is not a route of ESI's specification."
			query := func(p string) string { return "/esi?esi-path-query=" + url.QueryEscape(p) + "&datasource=" + main }
			before := s.simRequests(t, "/")
			for _, c := range []struct{ method, path, reason string }{
				{"GET", query("/./status"), badPath},
				{"GET", query("/characters/" + main + "/../../status"), badPath},
				{"GET", query("/characters/" + main + "/%2e%2e/%2e%2e/status"), badPath},
				{"GET", query("/characters/" + main + "/..%2Froles"), badPath},
				{"GET", query("/characters/" + main + "/roles/./"), badPath},
				{"GET", query("//characters/" + main + "/roles"), badPath},
				{"GET", query("/characters//" + main + "/roles"), badPath},
				{"GET", query("/characters/" + main + "/roles\r\nX-Injected: 1"), badPath},
				{"GET", query("/characters/" + main + "/roles%00"), badPath},
				{"GET", "/esi/characters/" + main + "/%2e%2e/%2e%2e/status?datasource=" + main, badPath},
				{"GET", "/esi/characters/" + main + "%2Froles?datasource=" + main, badPath},
				{"GET", query("/characters/" + main + "/no-such-route"), noRoute},
				{"GET", query("/metrics"), noRoute},
				{"GET", query("/"), noRoute},
				{"GET", "/esi/characters/" + main + "/no-such-route?datasource=" + main, noRoute},
				{"GET", "/esi/v99x/characters/" + main + "/roles?datasource=" + main, noRoute},
				{"POST", "/esi/characters/" + main + "/roles?datasource=" + main, noRoute},        // a GET route
				{"GET", "/esi/characters/" + main + "/mail/labels/7?datasource=" + main, noRoute}, // a DELETE route
			} {
				s.expectRefusal(t, c.method, c.path, auth, c.reason)
			}
			if n := s.simRequests(t, "/"); n != before {
				t.Errorf("ESI was asked %d times for refused paths", n-before)
			}
		})
	}
}

// The legacy spellings ESI serves, and Neucore's own examples use, pass
// the proxy as they are, version prefixes and trailing slashes, to be
// answered by ESI (the simulator answers them once it serves them; until
// then its 404 shows they reached it).
func TestESIProxyKeepsLegacySpellings(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default")
			main := strconv.Itoa(int(s.main))
			for _, p := range []string{
				"/api/app/v2/esi/characters/" + main + "/assets/?page=1&datasource=" + main,
				"/api/app/v1/esi/latest/characters/" + main + "/roles/?datasource=" + main,
				"/api/app/v2/esi/v2/characters/" + main + "/roles?datasource=" + main,
				"/api/app/v2/esi/legacy/characters/" + main + "/roles/?datasource=" + main,
				"/api/app/v2/esi/dev/characters/" + main + "/roles?datasource=" + main,
				"/api/app/v2/esi?esi-path-query=" + url.QueryEscape("/characters/"+main+"/assets/?page=1") + "&datasource=" + main,
				"/api/app/v2/esi?esi-path-query=" + url.QueryEscape("characters/"+main+"/roles") + "&datasource=" + main,
			} {
				before := s.simRequests(t, "/")
				res, body := s.do(t, "GET", p, auth, "")
				if res.StatusCode == 400 || (res.StatusCode != 200 && s.simRequests(t, "/") != before+1) {
					t.Errorf("%s: %s %s, ESI asked %d times; want it passed to ESI", p, res.Status, body, s.simRequests(t, "/")-before)
				}
			}
		})
	}
}

// Accept-Language and X-Compatibility-Date take only what ESI takes, in
// one spelling each: a value ESI would refuse is refused before ESI is
// asked, and the spellings of one value share one ESI call and one cache
// row.
func TestESIProxyLanguageAndCompatibilityDate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default", "audit")
			alt := strconv.Itoa(int(s.alt))
			titles := "/esi/characters/" + alt + "/titles?datasource=" + alt + ":audit"
			const titlesRoute = "GET /characters/{character_id}/titles"
			const badLanguage = "Accept-Language must be one of ESI's languages: en, de, fr, ja, ru, zh, ko, es."
			const badDate = "X-Compatibility-Date must be a date (YYYY-MM-DD) not after today."
			before := s.simRequests(t, "/")
			for _, v := range []string{"xx", "en-GB", "en-US,en;q=0.9", "de\t1", strings.Repeat("a", 300)} {
				s.expectRefusal(t, "GET", titles, auth, badLanguage, "Accept-Language", v)
			}
			for _, v := range []string{"2999-01-01", "tomorrow", "2026-8-18", "2026-08-18T00:00:00Z", "2026-02-30"} {
				s.expectRefusal(t, "GET", titles, auth, badDate, "X-Compatibility-Date", v)
			}
			if n := s.simRequests(t, "/"); n != before {
				t.Errorf("ESI was asked %d times for refused headers", n-before)
			}

			n := s.simRequests(t, titlesRoute)
			get := func(headers ...string) {
				t.Helper()
				if res, body := s.do(t, "GET", "/api/app/v2"+titles, auth, "", headers...); res.StatusCode != 200 {
					t.Fatalf("titles %q: %s %s", headers, res.Status, body)
				}
			}
			get("Accept-Language", "DE")
			get("Accept-Language", "de")
			get("Accept-Language", " de ")
			if got := s.simRequests(t, titlesRoute) - n; got != 1 {
				t.Errorf("DE, de and \" de \": %d ESI calls, want 1", got)
			}
			get()
			get("Accept-Language", "en")
			get("Accept-Language", "en-us", "X-Compatibility-Date", "2026-08-18")
			if got := s.simRequests(t, titlesRoute) - n; got != 2 {
				t.Errorf("none, en and en-us: %d ESI calls in all, want 2", got)
			}
			get("X-Compatibility-Date", "2019-05-01")
			get("X-Compatibility-Date", "2001-01-01")
			get("X-Compatibility-Date", "2020-01-01")
			if got := s.simRequests(t, titlesRoute) - n; got != 3 {
				t.Errorf("dates before ESI's first: %d ESI calls in all, want 3", got)
			}
		})
	}
}

// An answer from the proxy's cache carries the headers ESI sent with it,
// as the fresh one did; what the cache keeps of it is sealed.
func TestESIProxyCachedAnswerCarriesESIHeaders(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default", "audit")
			alt := strconv.Itoa(int(s.alt))
			titles := "/api/app/v2/esi/characters/" + alt + "/titles?datasource=" + alt + ":audit"
			const titlesRoute = "GET /characters/{character_id}/titles"
			n := s.simRequests(t, titlesRoute)
			fresh, body := s.do(t, "GET", titles, auth, "")
			cached, body2 := s.do(t, "GET", titles, auth, "")
			if fresh.StatusCode != 200 || cached.StatusCode != 200 || body2 != body || s.simRequests(t, titlesRoute) != n+1 {
				t.Fatalf("titles: %s then %s, %d ESI calls; want 200 twice, once from the cache", fresh.Status, cached.Status,
					s.simRequests(t, titlesRoute)-n)
			}
			for _, h := range []string{"Content-Type", "ETag", "Last-Modified", "Expires", "X-Ratelimit-Group", "X-Ratelimit-Limit",
				"X-Ratelimit-Remaining", "X-Ratelimit-Used"} {
				if got, want := cached.Header.Get(h), fresh.Header.Get(h); got != want || want == "" {
					t.Errorf("%s from the cache %q, fresh %q", h, got, want)
				}
			}

			// The row holds the answer sealed: not a word of it readable.
			var raw []byte
			var sealed bool
			if err := s.DB.QueryRow(context.Background(), `SELECT body, sealed FROM esi_cache WHERE header LIKE $1`, "%char-detail%").
				Scan(&raw, &sealed); err != nil {
				t.Fatal(err)
			}
			if !sealed || bytes.Contains(raw, []byte(strings.Trim(body, "[]"))) || !bytes.HasPrefix(raw, []byte("v1:")) {
				t.Errorf("stored: sealed %v, %q; want a sealed value, not %s", sealed, raw, body)
			}
		})
	}
}

// When ESI cannot be reached the proxy answers 500 with a generic message
// and the request id, never ESI's address nor the error; answers carrying
// a character's data or token say Cache-Control: no-store.
func TestESIProxyFailureAndNoStore(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy, appapi.RoleESIToken}, "core.default")
			main := strconv.Itoa(int(s.main))

			res, body := s.do(t, "GET", "/api/app/v1/esi/access-token/"+main, auth, "")
			if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("access token: %s, Cache-Control %q; want no-store", res.Status, res.Header.Get("Cache-Control"))
			}
			res, _ = s.do(t, "GET", "/api/app/v2/esi/characters/"+main+"/roles?datasource="+main, auth, "")
			if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("proxied roles: %s, Cache-Control %q; want no-store", res.Status, res.Header.Get("Cache-Control"))
			}

			s.ESIDown(true)
			for _, v := range []string{"v1", "v2"} {
				res, body = s.do(t, "GET", "/api/app/"+v+"/esi/characters/"+main+"/titles?datasource="+main, auth, "")
				id := res.Header.Get("X-Request-Id")
				want, _ := json.Marshal("Internal server error. Request id: " + id)
				if res.StatusCode != 500 || id == "" || body != string(want) {
					t.Errorf("%s with ESI down: %s %s (request id %q); want 500 %s", v, res.Status, body, id, want)
				}
				host := strings.TrimPrefix(s.SimURL, "http://")
				for _, leak := range []string{host, "127.0.0.1", "EOF", "titles"} {
					if strings.Contains(body, leak) || strings.Contains(res.Status, leak) {
						t.Errorf("%s: the answer tells %q: %s %s", v, leak, res.Status, body)
					}
				}
			}
		})
	}
}
