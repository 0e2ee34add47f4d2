package sso

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// testKey is one RSA key for the whole package: generating a 2048-bit key
// per test would cost more than the tests.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	confidentialID = "3b1f0c6a0e2f4d7a9c5e8b2d1f0a6c4e"
	secret         = "s3cr3t-Key_ABCDEFGHIJ"
	publicID       = "public-app"
	callback       = "https://keepstar.example/sso/callback"
)

type env struct {
	u     *universe.Universe
	clock *universe.Clock
	srv   *Server
	ts    *httptest.Server
	// http never follows redirects, so tests see where the SSO sends the
	// player.
	http *http.Client
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	clk := universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
	u, err := universe.Generate(universe.Options{Seed: 42, Characters: 300, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	opts := Options{
		BaseURL: "http://" + ts.Listener.Addr().String(),
		Clients: []Client{
			{ID: confidentialID, Secret: secret, Callback: callback},
			{ID: publicID, Callback: "http://127.0.0.1:9999/cb", Public: true},
		},
		Universe: u, SigningKey: testKey(), RotateRefreshTokens: true,
	}
	if mod != nil {
		mod(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{u: u, clock: clk, srv: srv, ts: ts, http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// authorizeQuery is a valid authorization request of the confidential
// client, with PKCE.
func authorizeQuery(verifier string) url.Values {
	sum := sha256.Sum256([]byte(verifier))
	return url.Values{
		"response_type": {"code"}, "client_id": {confidentialID}, "redirect_uri": {callback},
		"scope": {"esi-skills.read_skills.v1 publicData"}, "state": {"st4te"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func (e *env) get(t *testing.T, path string, q url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := e.http.Get(e.ts.URL + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func (e *env) post(t *testing.T, path string, form url.Values, user, pass string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// redirected checks a redirect to the callback and gives its query.
func redirected(t *testing.T, resp *http.Response, to string) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != to {
		t.Fatalf("redirect to %s, want %s", got, to)
	}
	return loc.Query()
}

// login runs the shortcut login of a character and gives the code.
func (e *env) login(t *testing.T, charID int32) string {
	t.Helper()
	q := authorizeQuery(verifier)
	q.Set("character_id", itoa(charID))
	resp, _ := e.get(t, "/v2/oauth/authorize", q)
	got := redirected(t, resp, callback)
	if got.Get("state") != "st4te" || got.Get("code") == "" {
		t.Fatalf("callback query %v, want code and state", got)
	}
	return got.Get("code")
}

// exchange trades a code and decodes the answer.
func (e *env) exchange(t *testing.T, code string) tokenResponse {
	t.Helper()
	resp, body := e.post(t, "/v2/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
	}, confidentialID, secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("exchange: %d %s", resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// wantOAuthError decodes an error answer and checks its status and code.
func wantOAuthError(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error answer %q: %v", body, err)
	}
	if resp.StatusCode != status || e.Error != code || e.Description == "" {
		t.Fatalf("got %d %q (%q), want %d %q", resp.StatusCode, e.Error, e.Description, status, code)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// someCharacter gives a character that can log in.
func (e *env) someCharacter(t *testing.T, i int) universe.Character {
	t.Helper()
	c, err := e.u.Character(e.u.CharacterIDs()[i])
	if err != nil {
		t.Fatal(err)
	}
	return c
}
