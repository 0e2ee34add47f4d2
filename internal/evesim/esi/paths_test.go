package esi

import (
	"fmt"
	"testing"
)

// TestLegacyPathSpellings: ESI still serves the paths of its versioned
// days, with a version prefix and a trailing slash, as apps written from
// the legacy specification (and Neucore's examples) ask for them.
func TestLegacyPathSpellings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	roles := f.token(c.member, "esi-characters.read_corporation_roles.v1")
	member := fmt.Sprint(c.member)
	for _, tc := range []struct {
		method, path, token string
		body                any
		status              int
	}{
		{"GET", "/status/", "", nil, 200},
		{"GET", "/latest/status/", "", nil, 200},
		{"GET", "/v2/status/?datasource=tranquility", "", nil, 200},
		{"GET", "/legacy/status", "", nil, 200},
		{"GET", "/dev/status", "", nil, 200},
		{"GET", "/v5/characters/" + member + "/", "", nil, 200},
		{"GET", "/latest/characters/" + member + "/roles/?datasource=tranquility", roles, nil, 200},
		{"GET", "/v3/characters/" + member + "/roles/", "", nil, 401},
		{"POST", "/v2/characters/affiliation/", "", []int64{int64(c.member)}, 200},
		{"POST", "/v3/universe/names/", "", []int64{int64(c.member), int64(c.corp)}, 200},
		{"GET", "/latest/characters/1/", "", nil, 404},
		// Not legacy spellings: still unknown paths.
		{"GET", "/v0/status", "", nil, 404},
		{"GET", "/vx/status", "", nil, 404},
		{"GET", "/v100/status", "", nil, 404},
		{"GET", "/latest/", "", nil, 404},
		{"GET", "/latest", "", nil, 404},
		{"GET", "/latest/latest/status", "", nil, 404},
		{"DELETE", "/v1/status/", "", nil, 405},
	} {
		got := f.do(tc.method, tc.path, tc.token, tc.body)
		if got.status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, got.status, tc.status, got.body)
		}
	}
	want := f.do("GET", "/characters/"+member, "", nil).want(t, 200)
	if got := f.do("GET", "/latest/characters/"+member+"/", "", nil); string(got.body) != string(want.body) ||
		got.header.Get("ETag") != want.header.Get("ETag") {
		t.Errorf("legacy spelling answered %s, the route %s", got.body, want.body)
	}
	if n := f.srv.Requests()["GET /status"]; n != 5 {
		t.Errorf("legacy spellings counted under their route %d times, want 5", n)
	}
}
