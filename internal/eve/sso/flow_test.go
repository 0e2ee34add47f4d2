package sso

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	sim "github.com/keepstar/keepstar/internal/evesim/sso"
)

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	v := NewVerifier()
	u, err := e.client.AuthorizeURL(context.Background(), "the-state", []string{"publicData", "esi-skills.read_skills.v1"}, v)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	q := pu.Query()
	if pu.Path != "/v2/oauth/authorize" || q.Get("response_type") != "code" || q.Get("client_id") != clientID ||
		q.Get("redirect_uri") != callback || q.Get("scope") != "publicData esi-skills.read_skills.v1" ||
		q.Get("state") != "the-state" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		t.Errorf("authorize URL %s", u)
	}
	if strings.Contains(u, v) {
		t.Error("the verifier itself is in the URL")
	}
	if _, err := e.client.AuthorizeURL(context.Background(), "", nil, v); err == nil {
		t.Error("empty state accepted")
	}
	if NewState() == NewState() || len(NewVerifier()) < 43 {
		t.Error("random helpers are not random or too short")
	}
}

// rawScp gives the scp claim as the token carries it, undecoded.
func rawScp(t *testing.T, access string) (json.RawMessage, bool) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	scp, ok := m["scp"]
	return scp, ok
}

func TestLoginScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.character(t, 1)
	for _, tc := range []struct {
		scopes []string
		raw    string // "" : absent
	}{
		{nil, ""},
		{[]string{"publicData"}, `"publicData"`},
		{[]string{"esi-skills.read_skills.v1", "esi-wallet.read_character_wallet.v1", "publicData"},
			`["esi-skills.read_skills.v1","esi-wallet.read_character_wallet.v1","publicData"]`},
	} {
		tok := e.login(t, c.ID, tc.scopes...)
		raw, present := rawScp(t, tok.AccessToken)
		if present != (tc.raw != "") || (present && string(raw) != tc.raw) {
			t.Errorf("scopes %v: scp %s (present %v), want %s", tc.scopes, raw, present, tc.raw)
		}
		if !slices.Equal(tok.Claims.Scopes, tc.scopes) {
			t.Errorf("Claims.Scopes %v, want %v", tok.Claims.Scopes, tc.scopes)
		}
		cl := tok.Claims
		if cl.CharacterID != c.ID || cl.Name != c.Name || cl.Owner != e.u.OwnerHash(c) || cl.ClientID != clientID ||
			!cl.Expires.Equal(e.clock.Now().Add(20*time.Minute)) || !tok.Expiry.Equal(cl.Expires) || tok.RefreshToken == "" {
			t.Errorf("claims %+v", cl)
		}
	}
}

// TestIssuerForms logs in through SSOs reached at their own address (here a
// test server's) that name the issuer as EVE does, in either of its forms,
// or by the address their metadata gives: each login succeeds.
func TestIssuerForms(t *testing.T) {
	t.Parallel()
	for form, want := range map[sim.IssuerForm]string{
		sim.IssuerEVE: "https://login.eveonline.com", sim.IssuerEVEHost: "login.eveonline.com", sim.IssuerSelf: "",
	} {
		e := newEnv(t, envOptions{issuer: form})
		tok := e.login(t, e.character(t, 2).ID, "publicData")
		if want == "" {
			want = e.ts.URL
		}
		if tok.Claims.Issuer != want {
			t.Errorf("issuer %q, want %q", tok.Claims.Issuer, want)
		}
	}
}

func TestPKCEAndCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	c := e.character(t, 3)

	v := NewVerifier()
	code := e.code(t, e.client, c.ID, nil, v)
	if _, err := e.client.Exchange(ctx, code, NewVerifier()); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("wrong verifier: %v", err)
	}

	code = e.code(t, e.client, c.ID, nil, v)
	if _, err := e.client.Exchange(ctx, code, v); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Exchange(ctx, code, v); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("code reused: %v", err)
	}

	code = e.code(t, e.client, c.ID, nil, v)
	e.clock.Advance(5*time.Minute + time.Second)
	if _, err := e.client.Exchange(ctx, code, v); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("code after 5 minutes: %v", err)
	}
}

func TestPublicClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	pub := e.newClient(t, publicID, "")
	v := NewVerifier()
	tok, err := pub.Exchange(ctx, e.code(t, pub, e.character(t, 4).ID, []string{"publicData"}, v), v)
	if err != nil {
		t.Fatal(err)
	}
	next, err := pub.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Revoke(ctx, next.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Refresh(ctx, next.RefreshToken); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("revoked: %v", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, rotate := range []bool{true, false} {
		e := newEnv(t, envOptions{noRotate: !rotate})
		c := e.character(t, 5)
		first := e.login(t, c.ID, "publicData", "esi-skills.read_skills.v1")
		e.clock.Advance(30 * time.Minute) // the access token is long dead; the refresh token is not
		next, err := e.client.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatalf("rotate=%v: %v", rotate, err)
		}
		if next.Claims.CharacterID != c.ID || len(next.Claims.Scopes) != 2 || !next.Expiry.Equal(e.clock.Now().Add(20*time.Minute)) {
			t.Errorf("refreshed claims %+v", next.Claims)
		}
		if rotate == (next.RefreshToken == first.RefreshToken) {
			t.Errorf("rotate=%v: got back the same refresh token: %v", rotate, next.RefreshToken == first.RefreshToken)
		}
		_, err = e.client.Refresh(ctx, first.RefreshToken)
		if rotate && !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("old token after rotation: %v", err)
		}
		if !rotate && err != nil {
			t.Errorf("rotation off, second use: %v", err)
		}
		if _, err := e.client.Refresh(ctx, next.RefreshToken); err != nil {
			t.Errorf("newest token: %v", err)
		}
	}
}

// TestUserAgent: every request Keepstar sends to the SSO names Keepstar, as
// its ESI requests do; the browser's requests (authorize) are not Keepstar's.
func TestUserAgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	const agent = "Keepstar/1.2.3 (+https://keepstar.example)"
	c, err := New(Config{BaseURL: e.ts.URL, ClientID: clientID, ClientSecret: clientSecret, RedirectURL: callback,
		HTTPClient: e.ts.Client(), Now: e.clock.Now, UserAgent: agent})
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier()
	tok, err := c.Exchange(ctx, e.code(t, c, e.character(t, 4).ID, nil, v), v)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err = c.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/oauth/jwks", "/v2/oauth/token", "/v2/oauth/revoke"} {
		got := e.agentsOf(path)
		if len(got) == 0 {
			t.Errorf("%s: no request", path)
		}
		for _, a := range got {
			if a != agent {
				t.Errorf("%s: User-Agent %q, want %q", path, a, agent)
			}
		}
	}
	// A client configured without one still names Keepstar, never Go.
	e.client.Revoke(ctx, "x")
	if got := e.agentsOf("/v2/oauth/revoke"); got[len(got)-1] != DefaultUserAgent {
		t.Errorf("default User-Agent %q", got[len(got)-1])
	}
}

func TestDeadRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for i, tc := range []struct {
		name string
		kill func(tok Token) error
	}{
		{"revoked", func(tok Token) error { return e.client.Revoke(ctx, tok.RefreshToken) }},
		{"password change", func(tok Token) error { return e.u.InvalidateTokens(tok.Claims.CharacterID) }},
		{"biomassed", func(tok Token) error { return e.u.Biomass(tok.Claims.CharacterID) }},
	} {
		tok := e.login(t, e.character(t, 10+i).ID)
		if err := tc.kill(tok); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.Refresh(ctx, tok.RefreshToken)
		if !errors.Is(err, ErrInvalidGrant) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v, want only ErrInvalidGrant", tc.name, err)
		}
		if strings.Contains(err.Error(), tok.RefreshToken) {
			t.Errorf("%s: the error shows the refresh token", tc.name)
		}
	}
}

func TestTransferChangesOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.character(t, 20)
	before := e.login(t, c.ID)
	if _, err := e.u.TransferCharacter(c.ID, 0); err != nil {
		t.Fatal(err)
	}
	after := e.login(t, c.ID)
	moved, _ := e.u.Character(c.ID)
	if before.Claims.Owner == after.Claims.Owner || after.Claims.Owner != e.u.OwnerHash(moved) {
		t.Errorf("owner %q then %q", before.Claims.Owner, after.Claims.Owner)
	}
	if _, err := e.client.Refresh(context.Background(), before.RefreshToken); !errors.Is(err, ErrInvalidGrant) {
		t.Errorf("the seller's refresh token: %v", err)
	}
}

func TestBiomassedCannotLogIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.character(t, 30)
	if err := e.u.Biomass(c.ID); err != nil {
		t.Fatal(err)
	}
	q := e.authorize(t, e.client, c.ID, nil, "s", NewVerifier())
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Errorf("callback %v", q)
	}
}

func TestBadClientSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	bad := e.newClient(t, clientID, "wrong")
	v := NewVerifier()
	_, err := bad.Exchange(ctx, e.code(t, bad, e.character(t, 6).ID, nil, v), v)
	var se *Error
	if !errors.Is(err, ErrInvalidClient) || errors.Is(err, ErrInvalidGrant) || !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Errorf("exchange: %v", err)
	}
	tok := e.login(t, e.character(t, 7).ID)
	if _, err := bad.Refresh(ctx, tok.RefreshToken); !errors.Is(err, ErrInvalidClient) || errors.Is(err, ErrInvalidGrant) {
		t.Errorf("refresh: %v", err)
	}
	if err := bad.Revoke(ctx, tok.RefreshToken); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("revoke: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "wrong") {
		t.Error("the error shows the secret")
	}
}

// A failing or unreachable SSO must never pass for a dead token.
func TestUnavailableIsNotInvalidGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	tok := e.login(t, e.character(t, 8).ID)

	e.failTokens.Store(true) // 503 with an invalid_grant body, as a confused proxy might send
	_, err := e.client.Refresh(ctx, tok.RefreshToken)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidGrant) {
		t.Errorf("503: %v", err)
	}
	e.failTokens.Store(false)
	if _, err := e.client.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("after the outage: %v", err)
	}

	e.ts.Close()
	_, err = e.client.Refresh(ctx, tok.RefreshToken)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidGrant) {
		t.Errorf("server down: %v", err)
	}
	if err := e.client.Revoke(ctx, tok.RefreshToken); !errors.Is(err, ErrUnavailable) {
		t.Errorf("revoke, server down: %v", err)
	}
	// A client that never reached the SSO cannot read its metadata.
	fresh := e.newClient(t, clientID, clientSecret)
	if _, err := fresh.AuthorizeURL(ctx, "s", nil, NewVerifier()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("metadata, server down: %v", err)
	}
}

func TestAccessTokenExpiryAndLeeway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	tok := e.login(t, e.character(t, 9).ID)
	e.clock.Advance(20*time.Minute + 3*time.Second) // within the 5 s leeway
	if _, err := e.client.ValidateAccessToken(ctx, tok.AccessToken); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	e.clock.Advance(3 * time.Second)
	if _, err := e.client.ValidateAccessToken(ctx, tok.AccessToken); !errors.Is(err, ErrInvalidToken) || !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("expired: %v", err)
	}
}

func TestJWKSFetchedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for i := range 3 {
		e.login(t, e.character(t, 40+i).ID)
	}
	if n := e.jwksFetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for three logins, want 1", n)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	tok := e.login(t, e.character(t, 50).ID)
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("login", "token", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), sb.String()} {
		if strings.Contains(s, tok.RefreshToken) || strings.Contains(s, tok.AccessToken[:20]) {
			t.Errorf("printed token shows a secret: %s", s)
		}
	}
}
