package esi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// testStart is after the spec's compatibility date, so "2026-08-18" is
// not a future date on the test clock.
var testStart = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// testTokens maps opaque test strings to grants; verifying JWTs is the SSO
// simulator's business.
type testTokens struct {
	mu     sync.Mutex
	grants map[string]Grant
}

var errUnknownToken = errors.New("unknown test token")

func (tt *testTokens) VerifyAccessToken(raw string) (Grant, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	g, ok := tt.grants[raw]
	if !ok {
		return Grant{}, errUnknownToken
	}
	return g, nil
}

var _ TokenVerifier = (*testTokens)(nil)

// fixture is a universe of a few hundred characters served over HTTP.
type fixture struct {
	t      *testing.T
	clock  *universe.Clock
	u      *universe.Universe
	srv    *Server
	ts     *httptest.Server
	tokens *testTokens
	n      int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := universe.NewClock(func() time.Time { return testStart })
	u, err := universe.Generate(universe.Options{Seed: 7, Characters: 300, Now: clk.Now})
	if err != nil {
		t.Fatalf("generate universe: %v", err)
	}
	tokens := &testTokens{grants: map[string]Grant{}}
	srv := New(Options{Universe: u, Tokens: tokens})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, clock: clk, u: u, srv: srv, ts: ts, tokens: tokens}
}

// token registers an access token for a character with scopes, valid for
// the 20 minutes SSO tokens live.
func (f *fixture) token(charID int32, scopes ...string) string {
	f.tokens.mu.Lock()
	defer f.tokens.mu.Unlock()
	f.n++
	raw := fmt.Sprintf("test-token-%d", f.n)
	f.tokens.grants[raw] = Grant{CharacterID: charID, Scopes: scopes, ClientID: "test-client", Expires: f.clock.Now().Add(20 * time.Minute)}
	return raw
}

// setGrant registers a grant under a raw token as given.
func (f *fixture) setGrant(raw string, g Grant) {
	f.tokens.mu.Lock()
	defer f.tokens.mu.Unlock()
	f.tokens.grants[raw] = g
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// newRequest builds a request to the fixture with the current
// compatibility date and, when token is set, a bearer token.
func (f *fixture) newRequest(method, path, token string, body any) *http.Request {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatalf("request: %v", err)
	}
	req.Header.Set("X-Compatibility-Date", CompatibilityDate)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func (f *fixture) send(req *http.Request) answer {
	f.t.Helper()
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("read body: %v", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) do(method, path, token string, body any) answer {
	f.t.Helper()
	return f.send(f.newRequest(method, path, token, body))
}

// want fails the test unless the answer has the status.
func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.body)
	}
	return a
}

// errorText decodes ESI's error body.
func (a answer) errorText(t *testing.T) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	a.json(t, &e)
	if e.Error == "" {
		t.Fatalf("error body without error: %s", a.body)
	}
	return e.Error
}

// cast holds characters in the roles the tests need.
type cast struct {
	corp     int32 // a player corporation with at least three members
	director int32 // its CEO, a Director
	member   int32 // a member of it without roles
	outsider int32 // a character of another corporation
	alliance int32 // an alliance
}

func (f *fixture) cast() cast {
	f.t.Helper()
	for _, cid := range f.u.CorporationIDs() {
		corp, err := f.u.Corporation(cid)
		if err != nil || corp.NPC || corp.CEOID == 0 {
			continue
		}
		m, err := f.u.Members(cid)
		if err != nil || len(m) < 3 {
			continue
		}
		var plain int32
		for _, id := range m {
			if ch, err := f.u.Character(id); err == nil && len(ch.Roles) == 0 {
				plain = id
				break
			}
		}
		if plain == 0 {
			continue
		}
		var outsider int32
		for _, id := range f.u.CharacterIDs() {
			if !slices.Contains(m, id) {
				outsider = id
				break
			}
		}
		return cast{corp: cid, director: corp.CEOID, member: plain, outsider: outsider, alliance: f.u.Alliances()[0]}
	}
	f.t.Fatal("no corporation fits the cast")
	return cast{}
}

// local serves a request in process from remoteAddr, for tests that make
// hundreds of calls.
func (f *fixture) local(method, path, token, remoteAddr string) answer {
	f.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remoteAddr
	req.Header.Set("X-Compatibility-Date", CompatibilityDate)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}
