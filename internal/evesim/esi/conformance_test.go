package esi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// specPath is CCP's current spec in the project's shared reference folder,
// which sits beside the repository on the developers' machines and in CI.
// The spec is not copied into the repository.
const specPath = "../../../../shared/reference/esi/esi-openapi-3.0-2026-08-18.json"

// requireSpec skips a conformance test on a clone without the shared
// reference folder (a user's `go test ./...`), and fails it in CI (CI=true),
// where the folder must be present.
func requireSpec(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(specPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: the ESI spec must be present: %v", err)
		}
		t.Skipf("ESI spec not found at %s (the shared reference folder beside the repository); CI runs this test", specPath)
	}
}

var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", specPath, err)
	}
	return doc, nil
})

// specFor gives a private copy of the spec whose server is the test
// server, so the router matches its requests.
func specFor(t *testing.T, baseURL string) (*openapi3.T, routers.Router) {
	t.Helper()
	requireSpec(t)
	shared, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	doc := *shared
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &doc, router
}

func TestRouteTableMatchesSpec(t *testing.T) {
	t.Parallel()
	requireSpec(t)
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	u, err := universe.Generate(universe.Options{Seed: 1, Characters: 10, Now: func() time.Time { return testStart }})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range New(Options{Universe: u}).routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s: not in the spec", rt.pattern)
			continue
		}
		op := item.GetOperation(method)
		var ext struct {
			CacheAge  int `json:"x-cache-age"`
			RateLimit struct {
				Group     string `json:"group"`
				MaxTokens int    `json:"max-tokens"`
				Window    string `json:"window-size"`
			} `json:"x-rate-limit"`
			Roles []string `json:"x-required-roles"`
		}
		raw, err := json.Marshal(op.Extensions)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &ext); err != nil {
			t.Fatalf("%s: extensions: %v", rt.pattern, err)
		}
		var scopes []string
		if op.Security != nil {
			for _, req := range *op.Security {
				scopes = append(scopes, req["OAuth2"]...)
			}
		}
		wantScope := ""
		if len(scopes) > 0 {
			wantScope = scopes[0]
		}
		if len(scopes) > 1 {
			t.Errorf("%s: spec has several scopes %v; the simulator checks one", rt.pattern, scopes)
		}
		if rt.scope != wantScope {
			t.Errorf("%s: scope %q, spec %q", rt.pattern, rt.scope, wantScope)
		}
		if rt.cacheSeconds != ext.CacheAge {
			t.Errorf("%s: cache %d s, spec %d", rt.pattern, rt.cacheSeconds, ext.CacheAge)
		}
		if !slices.Equal(rt.roles, ext.Roles) {
			t.Errorf("%s: roles %v, spec %v", rt.pattern, rt.roles, ext.Roles)
		}
		if rt.group != ext.RateLimit.Group || rt.maxTokens != ext.RateLimit.MaxTokens || rt.windowText != ext.RateLimit.Window {
			t.Errorf("%s: rate limit %s %d/%s, spec %+v", rt.pattern, rt.group, rt.maxTokens, rt.windowText, ext.RateLimit)
		}
	}
}

// conformanceCase is one request of the conformance run. Cases whose
// request breaks the spec on purpose (to get a 400) set invalidRequest.
type conformanceCase struct {
	name           string
	method, path   string
	token          string
	body           any
	header         map[string]string
	want           int
	invalidRequest bool
	setup          func() error // injects a fault before the call
}

func TestConformance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	doc, router := specFor(t, f.ts.URL)
	c := f.cast()

	biomassed := f.u.CharacterIDs()[len(f.u.CharacterIDs())-1]
	if err := f.u.Biomass(biomassed); err != nil {
		t.Fatal(err)
	}
	fleetID, err := f.u.CreateFleet(c.director)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.u.JoinFleet(fleetID, c.member); err != nil {
		t.Fatal(err)
	}
	if err := f.u.SetOnline(c.director, true); err != nil {
		t.Fatal(err)
	}
	if err := f.u.SetTitles(c.director, []int32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.u.SetTitles(c.member, nil); err != nil {
		t.Fatal(err)
	}
	kill := f.u.KillmailIDs()[0]
	km, err := f.u.Killmail(kill)
	if err != nil {
		t.Fatal(err)
	}

	all := []string{
		"esi-corporations.read_corporation_membership.v1", "esi-corporations.track_members.v1",
		"esi-characters.read_corporation_roles.v1", "esi-location.read_location.v1", "esi-location.read_ship_type.v1",
		"esi-location.read_online.v1", "esi-fleets.read_fleet.v1", "esi-mail.send_mail.v1",
		"esi-corporations.read_titles.v1", "esi-characters.read_titles.v1",
	}
	dir := f.token(c.director, all...)
	mem := f.token(c.member, all...)
	out := f.token(c.outsider, all...)
	noScope := f.token(c.director)
	expired := f.token(c.director, all...)
	f.setGrant(expired, Grant{CharacterID: c.director, Scopes: all, ClientID: "test-client", Expires: testStart.Add(-time.Minute)})

	ids1001 := make([]int64, 1001)
	for i := range ids1001 {
		ids1001[i] = int64(universe.FirstCharacter) + 2*int64(i) + 1
	}
	chars := f.u.CharacterIDs()[:5]
	director, err := f.u.Character(c.director)
	if err != nil {
		t.Fatal(err)
	}
	directorName := director.Name
	names501 := make([]string, 501)
	for i := range names501 {
		names501[i] = fmt.Sprintf("Name %d", i)
	}
	d, m, corp, ally := c.director, c.member, c.corp, c.alliance
	p := func(format string, a ...any) string { return fmt.Sprintf(format, a...) }
	mail := map[string]any{"recipients": []map[string]any{{"recipient_id": m, "recipient_type": "character"}}, "subject": "Ops", "body": "Form up."}

	cases := []conformanceCase{
		{name: "status", method: "GET", path: "/status", want: 200},
		{name: "character", method: "GET", path: p("/characters/%d", d), want: 200},
		{name: "biomassed character", method: "GET", path: p("/characters/%d", biomassed), want: 200},
		{name: "corporation history", method: "GET", path: p("/characters/%d/corporationhistory", biomassed), want: 200},
		{name: "corporation history of no character", method: "GET", path: "/characters/12345/corporationhistory", want: 404},
		{name: "unknown character", method: "GET", path: "/characters/1", want: 404},
		{name: "non-numeric character", method: "GET", path: "/characters/abc", want: 400, invalidRequest: true},
		{name: "bad compatibility date", method: "GET", path: "/status", header: map[string]string{"X-Compatibility-Date": "yesterday"}, want: 400, invalidRequest: true},
		{name: "affiliation", method: "POST", path: "/characters/affiliation", body: append(chars, biomassed), want: 200},
		{name: "affiliation unknown", method: "POST", path: "/characters/affiliation", body: []int64{1}, want: 404},
		{name: "affiliation empty", method: "POST", path: "/characters/affiliation", body: []int64{}, want: 400, invalidRequest: true},
		{name: "affiliation 1001", method: "POST", path: "/characters/affiliation", body: ids1001, want: 400, invalidRequest: true},
		{name: "affiliation not json", method: "POST", path: "/characters/affiliation", body: "[1,", want: 400, invalidRequest: true},
		{name: "corporation", method: "GET", path: p("/corporations/%d", corp), want: 200},
		{name: "npc corporation", method: "GET", path: p("/corporations/%d", universe.Doomheim), want: 200},
		{name: "unknown corporation", method: "GET", path: "/corporations/1", want: 404},
		{name: "alliances", method: "GET", path: "/alliances", want: 200},
		{name: "alliance", method: "GET", path: p("/alliances/%d", ally), want: 200},
		{name: "unknown alliance", method: "GET", path: "/alliances/1", want: 404},
		{name: "alliance corporations", method: "GET", path: p("/alliances/%d/corporations", ally), want: 200},
		{name: "unknown alliance corporations", method: "GET", path: "/alliances/1/corporations", want: 404},
		{name: "names", method: "POST", path: "/universe/names", body: []int64{int64(d), int64(corp), int64(ally), 500001, 30000142, 587}, want: 200},
		{name: "names with unknown", method: "POST", path: "/universe/names", body: []int64{int64(d), 1}, want: 404},
		{name: "ids", method: "POST", path: "/universe/ids", body: []string{directorName, "caldari state", "Jita", "No Such Name"}, want: 200},
		{name: "ids none", method: "POST", path: "/universe/ids", body: []string{"No Such Name"}, want: 200},
		{name: "ids empty", method: "POST", path: "/universe/ids", body: []string{}, want: 400, invalidRequest: true},
		{name: "ids 501", method: "POST", path: "/universe/ids", body: names501, want: 400, invalidRequest: true},
		{name: "ids too long", method: "POST", path: "/universe/ids", body: []string{strings.Repeat("x", 101)}, want: 400, invalidRequest: true},
		{name: "ids repeated", method: "POST", path: "/universe/ids", body: []string{"Jita", "Jita"}, want: 400, invalidRequest: true},
		{name: "system", method: "GET", path: "/universe/systems/30000142", want: 200},
		{name: "unknown system", method: "GET", path: "/universe/systems/1", want: 404},
		{name: "type", method: "GET", path: "/universe/types/587", want: 200},
		{name: "unknown type", method: "GET", path: "/universe/types/1", want: 404},
		{name: "killmail", method: "GET", path: p("/killmails/%d/%s", kill, km.Hash), want: 200},
		{name: "killmail wrong hash", method: "GET", path: p("/killmails/%d/%s", kill, strings.Repeat("0", 40)), want: 422},
		{name: "killmail unknown", method: "GET", path: p("/killmails/1/%s", km.Hash), want: 422},
		{name: "killmail non-numeric", method: "GET", path: p("/killmails/abc/%s", km.Hash), want: 400, invalidRequest: true},
		{name: "market prices", method: "GET", path: "/markets/prices", want: 200},

		{name: "members", method: "GET", path: p("/corporations/%d/members", corp), token: mem, want: 200},
		{name: "members no token", method: "GET", path: p("/corporations/%d/members", corp), want: 401},
		{name: "members expired", method: "GET", path: p("/corporations/%d/members", corp), token: expired, want: 401},
		{name: "members no scope", method: "GET", path: p("/corporations/%d/members", corp), token: noScope, want: 403},
		{name: "members outsider", method: "GET", path: p("/corporations/%d/members", corp), token: out, want: 403},
		{name: "membertracking", method: "GET", path: p("/corporations/%d/membertracking", corp), token: dir, want: 200},
		{name: "membertracking no director", method: "GET", path: p("/corporations/%d/membertracking", corp), token: mem, want: 403},
		{name: "corporation roles", method: "GET", path: p("/corporations/%d/roles", corp), token: mem, want: 200},
		{name: "corporation titles", method: "GET", path: p("/corporations/%d/titles", corp), token: dir, want: 200},
		{name: "corporation titles no director", method: "GET", path: p("/corporations/%d/titles", corp), token: mem, want: 403},
		{name: "corporation titles outsider", method: "GET", path: p("/corporations/%d/titles", corp), token: out, want: 403},
		{name: "corporation titles no scope", method: "GET", path: p("/corporations/%d/titles", corp), token: noScope, want: 403},
		{name: "member titles", method: "GET", path: p("/corporations/%d/members/titles", corp), token: dir, want: 200},
		{name: "member titles no director", method: "GET", path: p("/corporations/%d/members/titles", corp), token: mem, want: 403},
		{name: "member titles no token", method: "GET", path: p("/corporations/%d/members/titles", corp), want: 401},
		{name: "character titles", method: "GET", path: p("/characters/%d/titles", d), token: dir, want: 200},
		{name: "character titles none", method: "GET", path: p("/characters/%d/titles", m), token: mem, want: 200},
		{name: "character titles other", method: "GET", path: p("/characters/%d/titles", d), token: mem, want: 403},
		{name: "character roles", method: "GET", path: p("/characters/%d/roles", d), token: dir, want: 200},
		{name: "character roles other", method: "GET", path: p("/characters/%d/roles", d), token: mem, want: 403},
		{name: "location", method: "GET", path: p("/characters/%d/location", d), token: dir, want: 200},
		{name: "ship", method: "GET", path: p("/characters/%d/ship", d), token: dir, want: 200},
		{name: "online", method: "GET", path: p("/characters/%d/online", d), token: dir, want: 200},
		{name: "character fleet boss", method: "GET", path: p("/characters/%d/fleet", d), token: dir, want: 200},
		{name: "character fleet member", method: "GET", path: p("/characters/%d/fleet", m), token: mem, want: 200},
		{name: "character not in fleet", method: "GET", path: p("/characters/%d/fleet", c.outsider), token: out, want: 404},
		{name: "fleet", method: "GET", path: p("/fleets/%d", fleetID), token: dir, want: 200},
		{name: "fleet not boss", method: "GET", path: p("/fleets/%d", fleetID), token: mem, want: 404},
		{name: "fleet unknown", method: "GET", path: "/fleets/1", token: dir, want: 404},
		{name: "fleet members", method: "GET", path: p("/fleets/%d/members", fleetID), token: dir, want: 200},
		{name: "fleet members not boss", method: "GET", path: p("/fleets/%d/members", fleetID), token: mem, want: 404},
		{name: "fleet wings", method: "GET", path: p("/fleets/%d/wings", fleetID), token: dir, want: 200},
		{name: "fleet wings not boss", method: "GET", path: p("/fleets/%d/wings", fleetID), token: out, want: 404},
		{name: "send mail", method: "POST", path: p("/characters/%d/mail", d), token: dir, body: mail, want: 201},
		{name: "send mail no subject", method: "POST", path: p("/characters/%d/mail", d), token: dir,
			body: map[string]any{"recipients": mail["recipients"], "body": "x"}, want: 400, invalidRequest: true},
		{name: "send mail other character", method: "POST", path: p("/characters/%d/mail", m), token: dir, body: mail, want: 403},
	}

	// Injected faults must answer in ESI's error shape too.
	cases = append(cases,
		conformanceCase{name: "forced 503", method: "GET", path: "/status", want: 503,
			setup: func() error { return f.srv.FailNext("GET /status", 503, 1) }},
		conformanceCase{name: "forced 520", method: "GET", path: p("/characters/%d", d), want: 520,
			setup: func() error { return f.srv.FailNext("GET /characters/{character_id}", 520, 1) }},
		conformanceCase{name: "error storm", method: "GET", path: "/alliances", want: 420,
			setup: func() error { return f.srv.StartErrorStorm("GET /alliances", time.Nanosecond) }},
		conformanceCase{name: "forced 429", method: "GET", path: p("/fleets/%d", fleetID), token: dir, want: 429,
			setup: func() error { return f.srv.ThrottleNext("GET /fleets/{fleet_id}", 1, time.Second) }},
	)

	succeeded := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				if err := tc.setup(); err != nil {
					t.Fatal(err)
				}
			}
			req := f.newRequest(tc.method, tc.path, tc.token, tc.body)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			got := f.send(req)
			if got.status != tc.want {
				t.Fatalf("status %d, want %d; body %s", got.status, tc.want, got.body)
			}
			pattern := validate(t, doc, router, f, tc, got)
			if got.status < 300 {
				succeeded[pattern] = true
			}
		})
	}
	for _, pattern := range f.srv.Patterns() {
		if !succeeded[pattern] {
			t.Errorf("%s: no successful call in the conformance run", pattern)
		}
	}
}

// validate checks one exchange against the spec: the request (unless it is
// invalid on purpose), the response with kin-openapi, the response's JSON
// keys against the schema's properties, and the headers every answer
// carries. It gives the route's pattern.
func validate(t *testing.T, doc *openapi3.T, router routers.Router, f *fixture, tc conformanceCase, got answer) string {
	t.Helper()
	// A fresh request, since sending consumed the first one's body.
	req := f.newRequest(tc.method, tc.path, tc.token, tc.body)
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("no spec route for %s %s: %v", tc.method, tc.path, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); (err != nil) != tc.invalidRequest {
		t.Fatalf("request validation: %v (request meant invalid: %v)", err, tc.invalidRequest)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: got.status, Header: got.header, Options: opts,
		Body: io.NopCloser(bytes.NewReader(got.body)),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("response validation: %v\nbody %s", err, got.body)
	}
	if err := checkKeys(responseSchema(t, route.Operation, got.status), got.body); err != nil {
		t.Fatalf("response keys: %v\nbody %s", err, got.body)
	}
	if got.status == http.StatusOK {
		for _, h := range []string{"ETag", "Last-Modified", "Expires", "Cache-Control"} {
			if got.header.Get(h) == "" {
				t.Errorf("200 without %s", h)
			}
		}
	}
	if got.header.Get("X-Ratelimit-Group") == "" && got.header.Get("X-ESI-Error-Limit-Remain") == "" {
		t.Errorf("answer without rate-limit or error-limit headers: %v", got.header)
	}
	return route.Method + " " + route.Path
}

func responseSchema(t *testing.T, op *openapi3.Operation, status int) *openapi3.Schema {
	t.Helper()
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		t.Fatalf("no response %d in the spec", status)
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		t.Fatalf("response %d has no JSON schema", status)
	}
	return mt.Schema.Value
}

// checkKeys fails on any object key the schema does not name, at any
// depth. ESI's schemas do not set additionalProperties: false, so
// kin-openapi would accept invented fields; this check does not. A key
// listed only under "required" counts as named: two ESI schemas (types,
// corporations) require "description" without listing it as a property.
func checkKeys(schema *openapi3.Schema, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return walkKeys("$", schema, v)
}

func walkKeys(at string, schema *openapi3.Schema, v any) error {
	if schema == nil {
		return nil
	}
	if len(schema.AllOf)+len(schema.AnyOf)+len(schema.OneOf) > 0 {
		return fmt.Errorf("%s: composed schema: extend checkKeys before relying on it", at)
	}
	switch v := v.(type) {
	case map[string]any:
		open := schema.AdditionalProperties.Schema != nil ||
			(schema.AdditionalProperties.Has != nil && *schema.AdditionalProperties.Has)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			prop := schema.Properties[k]
			switch {
			case prop != nil:
				if err := walkKeys(at+"."+k, prop.Value, v[k]); err != nil {
					return err
				}
			case slices.Contains(schema.Required, k), open:
			default:
				return fmt.Errorf("%s: key %q is not in the spec", at, k)
			}
		}
	case []any:
		if schema.Items == nil {
			return nil
		}
		for i, e := range v {
			if err := walkKeys(fmt.Sprintf("%s[%d]", at, i), schema.Items.Value, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestConformanceChecksCanFail shows the checks reject what they must:
// an invented field, and a missing required one.
func TestConformanceChecksCanFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	doc, router := specFor(t, f.ts.URL)
	req := f.newRequest("GET", "/status", "", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	schema := responseSchema(t, route.Operation, 200)
	good := `{"players":1,"server_version":"1","start_time":"2026-01-01T00:00:00Z","vip":false}`
	if err := checkKeys(schema, []byte(good)); err != nil {
		t.Fatalf("good body rejected: %v", err)
	}
	if err := checkKeys(schema, []byte(`{"players":1,"server_version":"1","start_time":"2026-01-01T00:00:00Z","vip":false,"invented":1}`)); err == nil {
		t.Error("invented key accepted")
	}
	membersRoute, _, err := router.FindRoute(f.newRequest("GET", "/fleets/1/members", "", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkKeys(responseSchema(t, membersRoute.Operation, 200), []byte(`[{"character_id":1,"extra":{}}]`)); err == nil {
		t.Error("invented key inside an array accepted")
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	missing := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Options: opts,
		Body: io.NopCloser(strings.NewReader(`{"players":1,"start_time":"2026-01-01T00:00:00Z","vip":false}`)),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), missing); err == nil {
		t.Error("response without the required server_version accepted")
	}
	_ = doc
}
