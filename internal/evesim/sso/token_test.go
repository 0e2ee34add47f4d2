package sso

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}}
}

func TestCodeIsSingleUseAndShortLived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.someCharacter(t, 1)

	code := e.login(t, c.ID)
	e.exchange(t, code)
	resp, body := e.post(t, "/v2/oauth/token", codeForm(code), confidentialID, secret)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")

	code = e.login(t, c.ID)
	e.clock.Advance(CodeLifetime - time.Second)
	e.exchange(t, code) // still good

	code = e.login(t, c.ID)
	e.clock.Advance(CodeLifetime + time.Second)
	resp, body = e.post(t, "/v2/oauth/token", codeForm(code), confidentialID, secret)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")
}

func TestCodeChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.someCharacter(t, 2)
	for name, tc := range map[string]struct {
		mod    func(url.Values)
		status int
		code   string
	}{
		"wrong verifier":     {func(f url.Values) { f.Set("code_verifier", strings.Repeat("a", 43)) }, 400, "invalid_grant"},
		"no verifier":        {func(f url.Values) { f.Del("code_verifier") }, 400, "invalid_request"},
		"short verifier":     {func(f url.Values) { f.Set("code_verifier", "abc") }, 400, "invalid_request"},
		"other redirect_uri": {func(f url.Values) { f.Set("redirect_uri", "https://evil.example/cb") }, 400, "invalid_grant"},
		"unknown code":       {func(f url.Values) { f.Set("code", "nope") }, 400, "invalid_grant"},
		"no code":            {func(f url.Values) { f.Del("code") }, 400, "invalid_request"},
		"no grant type":      {func(f url.Values) { f.Del("grant_type") }, 400, "invalid_request"},
		"password grant":     {func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
	} {
		f := codeForm(e.login(t, c.ID))
		tc.mod(f)
		resp, body := e.post(t, "/v2/oauth/token", f, confidentialID, secret)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
			continue
		}
		wantOAuthError(t, resp, body, tc.status, tc.code)
	}
	// The redirect_uri, when sent, must be the one of the request.
	f := codeForm(e.login(t, c.ID))
	f.Set("redirect_uri", callback)
	if resp, body := e.post(t, "/v2/oauth/token", f, confidentialID, secret); resp.StatusCode != http.StatusOK {
		t.Errorf("matching redirect_uri: %d %s", resp.StatusCode, body)
	}
}

func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.someCharacter(t, 4)

	// client_secret_post works like Basic.
	f := codeForm(e.login(t, c.ID))
	f.Set("client_id", confidentialID)
	f.Set("client_secret", secret)
	if resp, body := e.post(t, "/v2/oauth/token", f, "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("client_secret_post: %d %s", resp.StatusCode, body)
	}
	for name, auth := range map[string][3]string{ // basic user, basic password, body client_id
		"bad secret":          {confidentialID, "wrong", ""},
		"unknown client":      {"nope", secret, ""},
		"confidential no pwd": {"", "", confidentialID},
	} {
		f := codeForm(e.login(t, c.ID))
		if auth[2] != "" {
			f.Set("client_id", auth[2])
		}
		resp, body := e.post(t, "/v2/oauth/token", f, auth[0], auth[1])
		wantOAuthError(t, resp, body, http.StatusUnauthorized, "invalid_client")
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}

	// A public client identifies itself with client_id alone, and PKCE.
	pub := "http://127.0.0.1:9999/cb"
	q := authorizeQuery(verifier)
	q.Set("client_id", publicID)
	q.Set("redirect_uri", pub)
	q.Set("character_id", itoa(c.ID))
	resp, _ := e.get(t, "/v2/oauth/authorize", q)
	code := redirected(t, resp, pub).Get("code")
	f = codeForm(code)
	f.Set("client_id", publicID)
	resp, body := e.post(t, "/v2/oauth/token", f, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("public client: %d %s", resp.StatusCode, body)
	}
	// A code of one client is no good to another.
	resp, _ = e.get(t, "/v2/oauth/authorize", q)
	resp, body = e.post(t, "/v2/oauth/token", codeForm(redirected(t, resp, pub).Get("code")), confidentialID, secret)
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func (e *env) refresh(t *testing.T, rt string) (tokenResponse, *http.Response, string) {
	t.Helper()
	resp, body := e.post(t, "/v2/oauth/token", refreshForm(rt), confidentialID, secret)
	var tr tokenResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &tr); err != nil {
			t.Fatal(err)
		}
	}
	return tr, resp, body
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	for _, rotate := range []bool{true, false} {
		e := newEnv(t, func(o *Options) { o.RotateRefreshTokens = rotate })
		c := e.someCharacter(t, 6)
		first := e.exchange(t, e.login(t, c.ID)).RefreshToken
		e.clock.Advance(time.Hour)
		next, resp, body := e.refresh(t, first)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rotate=%v: %d %s", rotate, resp.StatusCode, body)
		}
		at, err := e.srv.VerifyAccessToken(next.AccessToken)
		if err != nil || at.CharacterID != c.ID || len(at.Scopes) != 2 {
			t.Fatalf("refreshed token: %+v %v", at, err)
		}
		if rotate == (next.RefreshToken == first) {
			t.Errorf("rotate=%v: refresh token returned %v the one sent", rotate, map[bool]string{true: "is", false: "is not"}[next.RefreshToken == first])
		}
		_, resp, body = e.refresh(t, first)
		if rotate {
			wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")
		} else if resp.StatusCode != http.StatusOK {
			t.Errorf("rotation off: second use %d", resp.StatusCode)
		}
		if _, resp, _ := e.refresh(t, next.RefreshToken); resp.StatusCode != http.StatusOK {
			t.Errorf("rotate=%v: the newest token %d", rotate, resp.StatusCode)
		}
	}
}

func TestRefreshTokenDeaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for name, kill := range map[string]func(id int32) error{
		"password change": e.u.InvalidateTokens,
		"transfer":        func(id int32) error { _, err := e.u.TransferCharacter(id, 0); return err },
		"biomass":         e.u.Biomass,
		"revoke": func(id int32) error {
			return nil // done below through the endpoint
		},
	} {
		c := e.someCharacter(t, 20+len(name))
		rt := e.exchange(t, e.login(t, c.ID)).RefreshToken
		if err := kill(c.ID); err != nil {
			t.Fatal(err)
		}
		if name == "revoke" {
			resp, _ := e.post(t, "/v2/oauth/revoke", url.Values{"token_type_hint": {"refresh_token"}, "token": {rt}}, confidentialID, secret)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
		}
		_, resp, body := e.refresh(t, rt)
		wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")
	}
	// Another client's token is not refreshed for, nor revoked by, us.
	c := e.someCharacter(t, 40)
	rt := e.exchange(t, e.login(t, c.ID)).RefreshToken
	f := refreshForm(rt)
	f.Set("client_id", publicID)
	resp, body := e.post(t, "/v2/oauth/token", f, "", "")
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")
	resp, _ = e.post(t, "/v2/oauth/revoke", url.Values{"token": {rt}, "client_id": {publicID}}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("revoke by another client: %d", resp.StatusCode)
	}
	if _, resp, _ := e.refresh(t, rt); resp.StatusCode != http.StatusOK {
		t.Errorf("token revoked by another client: %d", resp.StatusCode)
	}
}

func TestRevokeAlways200(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, f := range []url.Values{
		{"token_type_hint": {"refresh_token"}, "token": {"unknown"}},
		{"token_type_hint": {"access_token"}, "token": {"x.y.z"}},
		{},
	} {
		if resp, body := e.post(t, "/v2/oauth/revoke", f, confidentialID, secret); resp.StatusCode != http.StatusOK {
			t.Errorf("revoke %v: %d %s", f, resp.StatusCode, body)
		}
	}
	resp, body := e.post(t, "/v2/oauth/revoke", url.Values{"token": {"x"}}, confidentialID, "wrong")
	wantOAuthError(t, resp, body, http.StatusUnauthorized, "invalid_client")
}

func TestSecretsStoredHashed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.someCharacter(t, 8)
	code := e.login(t, c.ID)
	e.srv.mu.Lock()
	_, clear := e.srv.codes[code]
	_, hashed := e.srv.codes[hashSecret(code)]
	e.srv.mu.Unlock()
	if clear || !hashed {
		t.Errorf("code kept in clear %v, hashed %v", clear, hashed)
	}
	rt := e.exchange(t, code).RefreshToken
	sum := sha256.Sum256([]byte(rt))
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	for k := range e.srv.refresh {
		if strings.Contains(k, rt) {
			t.Error("refresh token kept in clear")
		}
	}
	if _, ok := e.srv.refresh[hex.EncodeToString(sum[:])]; !ok {
		t.Error("refresh token not found by its sha256")
	}
}
