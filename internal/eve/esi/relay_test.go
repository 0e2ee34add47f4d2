package esi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The route table names the routes of legacy and current paths, and finds
// the public ones as Neucore's list does (its own test cases first).
func TestRouteOfAndIsPublic(t *testing.T) {
	t.Parallel()
	for path, public := range map[string]bool{
		"/alliances":                      true,
		"/v1/alliances/":                  true,
		"/latest/alliances/":              true,
		"/alliances/123456/icons/":        true,
		"/killmails/123456/123abc/":       true,
		"/characters/affiliation":         true,
		"/universe/names/":                true,
		"/sovereignty/map":                true, // Neucore 2.13.1's list, gone from ESI
		"/meta/status":                    true, // public in the current spec
		"/characters/96061222/stats/":     false,
		"/v3/characters/96061222/assets/": false,
		"/characters/1/roles":             false,
		"/characters/abc":                 false, // not an id: not the public route
		"/killmails/1/xyz":                false, // not a hash
		"/universe/structures/1":          false,
		"/corporations/98000001/members":  false,
		"":                                false,
		"/":                               false,
	} {
		if got := IsPublic(path); got != public {
			t.Errorf("IsPublic(%q) = %v, want %v", path, got, public)
		}
	}
	for _, c := range []struct{ method, path, route string }{
		{"GET", "/characters/1/roles", "GET /characters/{character_id}/roles"},
		{"GET", "/v2/characters/1/roles/", "GET /characters/{character_id}/roles"},
		{"GET", "/latest/characters/1/roles/", "GET /characters/{character_id}/roles"},
		{"GET", "/legacy/characters/1/roles/", "GET /characters/{character_id}/roles"},
		{"GET", "/dev/characters/1/roles", "GET /characters/{character_id}/roles"},
		{"GET", "/v6/characters/1/assets/", "GET /characters/{character_id}/assets"},
		{"GET", "/vx/characters/1/roles", ""},
		{"POST", "/characters/affiliation", "POST /characters/affiliation"},
		{"GET", "/characters/1", "GET /characters/{character_id}"},
		{"POST", "/characters/1/mail", "POST /characters/{character_id}/mail"},
		{"GET", "/characters/1/mail", "GET /characters/{character_id}/mail"},
		{"GET", "/killmails/1/0abc", "GET /killmails/{killmail_id}/{killmail_hash}"},
		{"GET", "/corporations/1/projects/5f3c-uuid", "GET /corporations/{corporation_id}/projects/{project_id}"},
		{"GET", "/characters/1/nothing", ""},
		{"DELETE", "/characters/1/roles", ""},
		{"GET", "/characters/x/roles", ""},
	} {
		route, ok := RouteOf(c.method, c.path)
		if route != c.route || ok != (c.route != "") {
			t.Errorf("RouteOf(%s %s) = %q %v, want %q", c.method, c.path, route, ok, c.route)
		}
	}
}

// specPath is CCP's spec in the shared reference folder beside the
// repository (see internal/evesim/esi's conformance test).
const specPath = "../../../../shared/reference/esi/esi-openapi-3.0-2026-08-18.json"

// The route table is the specification's: every operation, public exactly
// when it has no security, and every parameter an integer unless
// paramKinds says otherwise.
func TestRouteTableMatchesSpec(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(specPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: the ESI spec must be present: %v", err)
		}
		t.Skipf("ESI spec not found at %s (the shared reference folder beside the repository); CI runs this test", specPath)
	}
	type parameter struct {
		Ref    string `json:"$ref"`
		Name   string `json:"name"`
		In     string `json:"in"`
		Schema struct {
			Ref  string `json:"$ref"`
			Type string `json:"type"`
		} `json:"schema"`
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Security   []map[string][]string `json:"security"`
			Parameters []parameter           `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]parameter `json:"parameters"`
			Schemas    map[string]struct {
				Type string `json:"type"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var want []string
	for path, ops := range spec.Paths {
		for method, op := range ops {
			line := strings.ToUpper(method) + " " + path
			if len(op.Security) == 0 {
				line += " public"
			}
			want = append(want, line)
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = spec.Components.Parameters[p.Ref[strings.LastIndexByte(p.Ref, '/')+1:]]
				}
				if p.In != "path" {
					continue
				}
				typ := p.Schema.Type
				if p.Schema.Ref != "" {
					typ = spec.Components.Schemas[p.Schema.Ref[strings.LastIndexByte(p.Schema.Ref, '/')+1:]].Type
				}
				if _, special := paramKinds[p.Name]; (typ == "integer") == special {
					t.Errorf("%s: parameter %s is %q, paramKinds says special %v", line, p.Name, typ, special)
				}
			}
		}
	}
	got := strings.Split(strings.TrimSpace(specRoutes), "\n")
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("route table differs from the spec:\n got %d routes\nwant %d routes", len(got), len(want))
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing: %s", w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("not in the spec: %s", g)
			}
		}
	}
}

// Check holds calls back as Neucore's proxy does: at or below the error
// reserve until the reset, after a 420 for the block, after a 429 for its
// Retry-After, and near an empty bucket for Neucore's wait; it lets them
// through once that has passed, and never waits or writes.
func TestCheckHolds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		clock := newTestClock()
		g := NewGate(db, GateOptions{Now: clock.Now})
		neucore := Margins{ErrorReserve: 20, BucketPercent: 20}
		const unbucketed, roles = "GET /characters/{character_id}", "GET /characters/{character_id}/roles"
		const alice, bob = "app:1", "app:2"
		check := func(what, route, key string, m Margins, want Limit, wantWait time.Duration, group string) {
			t.Helper()
			h, err := g.Check(ctx, route, key, m)
			if err != nil {
				t.Fatal(err)
			}
			if h.Limit != want || (want != NoLimit && (h.Until.Sub(clock.Now()) != wantWait || h.Group != group)) {
				t.Errorf("%s: %v until +%v group %q; want %v +%v %q", what, h.Limit, h.Until.Sub(clock.Now()), h.Group, want, wantWait, group)
			}
		}
		learn := func(route, key string, status int, h map[string]string) {
			t.Helper()
			header := http.Header{}
			for k, v := range h {
				header.Set(k, v)
			}
			if err := g.learn(ctx, route, key, status, header); err != nil {
				t.Fatal(err)
			}
		}

		check("nothing learnt", roles, alice, neucore, NoLimit, 0, "")

		// The error budget: 21 left passes, 20 holds until the reset under
		// Neucore's margins, the gate's own reserve (10) lets it through.
		learn(unbucketed, anonymous, 404, map[string]string{"X-ESI-Error-Limit-Remain": "21", "X-ESI-Error-Limit-Reset": "30"})
		check("21 errors left", unbucketed, anonymous, neucore, NoLimit, 0, "")
		learn(unbucketed, anonymous, 404, map[string]string{"X-ESI-Error-Limit-Remain": "20", "X-ESI-Error-Limit-Reset": "30"})
		check("20 errors left", unbucketed, anonymous, neucore, ErrorLimit, 30*time.Second, "")
		check("20 errors left, any route", roles, alice, neucore, ErrorLimit, 30*time.Second, "")
		check("20 errors left, the gate's reserve", unbucketed, anonymous, Margins{}, NoLimit, 0, "")
		clock.Advance(30 * time.Second)
		check("after the reset", unbucketed, anonymous, neucore, NoLimit, 0, "")

		// A 420 without budget headers (a bucketed route in a storm)
		// blocks every call for the default block.
		learn(roles, alice, 420, map[string]string{"X-Ratelimit-Group": "char-detail", "X-Ratelimit-Limit": "600/15m", "X-Ratelimit-Remaining": "595"})
		check("after a 420", unbucketed, anonymous, Margins{}, ErrorLimit, defaultBlock, "")
		clock.Advance(defaultBlock)
		check("after the 420's block", roles, alice, neucore, NoLimit, 0, "")

		// A 429 blocks its bucket for Retry-After, not another's.
		learn(roles, alice, 429, map[string]string{"X-Ratelimit-Group": "char-detail", "X-Ratelimit-Limit": "600/15m",
			"X-Ratelimit-Remaining": "0", "Retry-After": "7"})
		check("after a 429", roles, alice, neucore, RateLimited, 7*time.Second, "char-detail")
		check("another character's bucket", roles, bob, neucore, NoLimit, 0, "")
		clock.Advance(7 * time.Second)
		check("a bucket near empty, under the gate's margins", roles, alice, Margins{}, BucketLimit, 9*time.Second, "char-detail")

		// Neucore's wait below 20 %: a call's 2 tokens take 3 s at 600 per
		// 15 min; twice that and 10 s is 16 s after the last answer.
		learn(roles, alice, 200, map[string]string{"X-Ratelimit-Group": "char-detail", "X-Ratelimit-Limit": "600/15m", "X-Ratelimit-Remaining": "120"})
		check("20 % left", roles, alice, neucore, NoLimit, 0, "")
		learn(roles, alice, 200, map[string]string{"X-Ratelimit-Group": "char-detail", "X-Ratelimit-Limit": "600/15m", "X-Ratelimit-Remaining": "119"})
		check("under 20 % left", roles, alice, neucore, BucketLimit, 16*time.Second, "char-detail")
		check("under 20 %, the gate's 10 %", roles, alice, Margins{}, NoLimit, 0, "")
		clock.Advance(10 * time.Second)
		check("10 s later", roles, alice, neucore, BucketLimit, 6*time.Second, "char-detail")
		clock.Advance(6 * time.Second)
		check("16 s later", roles, alice, neucore, NoLimit, 0, "")

		var rows int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM esi_limits WHERE next_slot <> $1`, noTime).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("Check reserved slots: %d rows, %v", rows, err)
		}
	})
}

// A relayed call comes back whatever ESI answers, with its headers and
// without retries; the gate refuses instead of waiting; the answers are
// cached apart by the compatibility date and language asked for.
func TestRelay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		ids := e.sim.Universe.CharacterIDs()
		me, other := ids[3], ids[4]
		e.login(t, me, "esi-characters.read_corporation_roles.v1", "esi-mail.send_mail.v1")
		token, _ := e.toks.AccessToken(ctx, me, "")
		relay := func(method, path, language string, body []byte) (*Response, error) {
			route, _ := RouteOf(method, path)
			h := http.Header{}
			h.Set("X-Compatibility-Date", CompatibilityDate)
			h.Set("Accept-Language", language)
			return c.Do(ctx, Request{Route: route, Path: path, CharacterID: me, Login: "audit", AccessToken: token,
				RawBody: body, Header: h, Relay: true})
		}
		rolesPath := "/characters/" + strconv.Itoa(int(me)) + "/roles"

		res, err := relay("GET", rolesPath, "en", nil)
		if err != nil || res.Status != 200 || res.FromCache || res.Header.Get("X-Ratelimit-Group") != "char-detail" {
			t.Fatalf("roles: %+v %v", res, err)
		}
		if res, err := relay("GET", rolesPath, "en", nil); err != nil || !res.FromCache || res.Header.Get("X-Ratelimit-Group") != "char-detail" || e.count("GET "+rolesPath) != 1 {
			t.Errorf("again: %+v %v, %d requests; want from the cache", res, err, e.count("GET "+rolesPath))
		}
		if res, err := relay("GET", rolesPath, "de", nil); err != nil || res.FromCache || e.count("GET "+rolesPath) != 2 {
			t.Errorf("in German: %+v %v; want asked again", res, err)
		}

		// ESI's refusal is an answer, not an error, and is not retried.
		otherPath := "/characters/" + strconv.Itoa(int(other)) + "/roles"
		res, err = relay("GET", otherPath, "en", nil)
		if err != nil || res.Status != 403 || !strings.Contains(string(res.Body), `"error"`) || e.count("GET "+otherPath) != 1 {
			t.Errorf("another character's roles: %+v %v", res, err)
		}
		// A raw POST body goes as it is.
		mail := `{"recipients":[{"recipient_id":` + strconv.Itoa(int(other)) + `,"recipient_type":"character"}],"subject":"Hi","body":"Relayed"}`
		res, err = relay("POST", "/characters/"+strconv.Itoa(int(me))+"/mail", "en", []byte(mail))
		if err != nil || res.Status != 201 {
			t.Fatalf("mail: %+v %v", res, err)
		}
		if sent := e.sim.ESI.SentMails(); len(sent) != 1 || sent[0].Body != "Relayed" || sent[0].From != me {
			t.Errorf("mails sent: %+v", sent)
		}

		if err := e.sim.ESI.FailNext("GET /characters/{character_id}/roles", 503, 1); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Hour) // past the cached answer's Expires
		if res, err := relay("GET", rolesPath, "en", nil); err != nil || res.Status != 503 || e.count("GET "+rolesPath) != 3 {
			t.Errorf("a 503: %+v %v, %d requests; want it relayed, not retried", res, err, e.count("GET "+rolesPath))
		}

		// A 420 is relayed; the next call is refused before asking ESI.
		if err := e.sim.ESI.StartErrorStorm("GET /characters/{character_id}/roles", time.Minute); err != nil {
			t.Fatal(err)
		}
		if res, err := relay("GET", rolesPath, "en", nil); err != nil || res.Status != 420 {
			t.Fatalf("in the storm: %+v %v", res, err)
		}
		before := e.count("GET " + rolesPath)
		_, err = relay("GET", rolesPath, "fr", nil)
		var limited *LimitedError
		if !errors.As(err, &limited) || limited.Hold.Limit != ErrorLimit || limited.RetryAfter != defaultBlock {
			t.Errorf("after the 420: %v; want a LimitedError of the error limit for %v", err, defaultBlock)
		}
		if e.count("GET "+rolesPath) != before || len(e.sleep.recorded()) != 0 {
			t.Errorf("the refused call was sent or waited: %d requests, waits %v", e.count("GET "+rolesPath)-before, e.sleep.recorded())
		}
	})
}
