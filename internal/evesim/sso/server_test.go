package sso

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMetadataAndJWKS(t *testing.T) {
	t.Parallel()
	for _, form := range []IssuerForm{IssuerEVE, IssuerEVEHost, IssuerSelf} {
		e := newEnv(t, func(o *Options) { o.Issuer = form })
		resp, body := e.get(t, "/.well-known/oauth-authorization-server", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("metadata: %d", resp.StatusCode)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		// EVE names itself whatever address it is reached at; only
		// IssuerSelf names the simulator.
		wantIss := map[IssuerForm]string{IssuerEVE: "https://login.eveonline.com", IssuerEVEHost: "login.eveonline.com",
			IssuerSelf: e.ts.URL}[form]
		if m["issuer"] != wantIss {
			t.Errorf("issuer %v, want %s", m["issuer"], wantIss)
		}
		for k, p := range map[string]string{
			"authorization_endpoint": "/v2/oauth/authorize", "token_endpoint": "/v2/oauth/token",
			"jwks_uri": "/oauth/jwks", "revocation_endpoint": "/v2/oauth/revoke",
		} {
			if m[k] != e.ts.URL+p {
				t.Errorf("%s = %v, want %s", k, m[k], e.ts.URL+p)
			}
		}
		if got, _ := json.Marshal(m["code_challenge_methods_supported"]); string(got) != `["S256"]` {
			t.Errorf("code_challenge_methods_supported %s", got)
		}
	}

	e := newEnv(t, nil)
	_, body := e.get(t, "/oauth/jwks", nil)
	var doc jwksDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 || !doc.SkipUnresolvedJSONWebKeys {
		t.Fatalf("JWKS %s", body)
	}
	rs, ec := doc.Keys[0], doc.Keys[1]
	n, _ := base64.RawURLEncoding.DecodeString(rs.N)
	if rs.Kid != "JWT-Signature-Key" || rs.Alg != "RS256" || rs.Kty != "RSA" || rs.E != "AQAB" || len(n)*8 != 2048 {
		t.Errorf("RSA key %+v", rs)
	}
	if ec.Alg != "ES256" || ec.Kty != "EC" || ec.Crv != "P-256" || len(ec.Kid) != 36 || ec.X == "" || ec.Y == "" {
		t.Errorf("EC key %+v", ec)
	}
}

func TestAuthorizePageAndForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	q := authorizeQuery(verifier)

	resp, body := e.get(t, "/v2/oauth/authorize", q)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	acct, _ := e.u.Account(1)
	first, _ := e.u.Character(acct.Characters[0])
	for _, want := range []string{"esi-skills.read_skills.v1", `name="sim_login"`, "Account 1", first.Name} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script") {
		t.Error("page has inline style or script, which the CSP forbids")
	}

	// The player types one of their character names: the page offers the
	// account's characters.
	c := e.someCharacter(t, 10)
	q.Set("sim_login", c.Name)
	resp, body = e.get(t, "/v2/oauth/authorize", q)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="`+itoa(c.ID)+`"`) || !strings.Contains(body, "Authorize") {
		t.Fatalf("character choice: %d\n%s", resp.StatusCode, body)
	}
	q.Set("sim_login", "Nobody Atall")
	if resp, _ = e.get(t, "/v2/oauth/authorize", q); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown login: %d", resp.StatusCode)
	}

	form := authorizeQuery(verifier)
	form.Set("character_id", itoa(c.ID))
	form.Set("decision", "allow")
	resp, _ = e.post(t, "/v2/oauth/authorize", form, "", "")
	got := redirected(t, resp, callback)
	if got.Get("state") != "st4te" || got.Get("code") == "" {
		t.Fatalf("callback %v", got)
	}
	tr := e.exchange(t, got.Get("code"))
	at, err := e.srv.VerifyAccessToken(tr.AccessToken)
	if err != nil || at.CharacterID != c.ID {
		t.Fatalf("token for %d: %+v %v", c.ID, at, err)
	}

	form.Set("decision", "deny")
	resp, _ = e.post(t, "/v2/oauth/authorize", form, "", "")
	if got := redirected(t, resp, callback); got.Get("error") != "access_denied" || got.Get("code") != "" {
		t.Errorf("deny: %v", got)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// Without a trustworthy redirect URI the player sees a page, and is
	// never sent anywhere.
	for name, mod := range map[string]func(url.Values){
		"unknown client":   func(q url.Values) { q.Set("client_id", "nope") },
		"other redirect":   func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
		"redirect suffix":  func(q url.Values) { q.Set("redirect_uri", callback+"/../x") },
		"missing redirect": func(q url.Values) { q.Del("redirect_uri") },
	} {
		for _, shortcut := range []bool{false, true} {
			q := authorizeQuery(verifier)
			mod(q)
			if shortcut {
				q.Set("character_id", itoa(e.someCharacter(t, 0).ID))
			}
			resp, body := e.get(t, "/v2/oauth/authorize", q)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "<html") {
				t.Errorf("%s: %d Location=%q", name, resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, _ = e.post(t, "/v2/oauth/authorize", q, "", "")
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("%s (form): %d Location=%q", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	// Other errors go back to the application.
	for name, tc := range map[string]struct {
		mod  func(url.Values)
		code string
	}{
		"plain PKCE":        {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		"no method":         {func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		"short challenge":   {func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
		"no state":          {func(q url.Values) { q.Del("state") }, "invalid_request"},
		"implicit":          {func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		"bad scope":         {func(q url.Values) { q.Set("scope", `a "b"`) }, "invalid_scope"},
		"unknown character": {func(q url.Values) { q.Set("character_id", "1") }, "access_denied"},
		"unknown name":      {func(q url.Values) { q.Set("character_name", "Nobody Atall") }, "access_denied"},
	} {
		q := authorizeQuery(verifier)
		tc.mod(q)
		resp, _ := e.get(t, "/v2/oauth/authorize", q)
		got := redirected(t, resp, callback)
		if got.Get("error") != tc.code || got.Get("code") != "" {
			t.Errorf("%s: callback %v, want error %s", name, got, tc.code)
		}
	}
	// A public client must use PKCE.
	q := url.Values{"response_type": {"code"}, "client_id": {publicID}, "redirect_uri": {"http://127.0.0.1:9999/cb"}, "state": {"x"}}
	resp, _ := e.get(t, "/v2/oauth/authorize", q)
	if got := redirected(t, resp, "http://127.0.0.1:9999/cb"); got.Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: %v", got)
	}
}

func TestBiomassedCannotLogIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.someCharacter(t, 3)
	if err := e.u.Biomass(c.ID); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"character_id", "character_name"} {
		q := authorizeQuery(verifier)
		q.Set(key, map[string]string{"character_id": itoa(c.ID), "character_name": c.Name}[key])
		resp, _ := e.get(t, "/v2/oauth/authorize", q)
		if got := redirected(t, resp, callback); got.Get("error") != "access_denied" || got.Get("code") != "" {
			t.Errorf("%s: %v", key, got)
		}
	}
	form := authorizeQuery(verifier)
	form.Set("character_id", itoa(c.ID))
	resp, body := e.post(t, "/v2/oauth/authorize", form, "", "")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "biomassed") {
		t.Errorf("form: %d", resp.StatusCode)
	}
}

func TestAccessTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil) // by default the simulator issues EVE's own iss
	c := e.someCharacter(t, 5)
	tr := e.exchange(t, e.login(t, c.ID))
	if tr.ExpiresIn != 1199 || tr.TokenType != "Bearer" || tr.RefreshToken == "" {
		t.Errorf("token answer %+v", tr)
	}
	parts := strings.Split(tr.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	var header map[string]any
	var claims map[string]any
	decodeSegment(t, parts[0], &header)
	decodeSegment(t, parts[1], &claims)
	if len(header) != 3 || header["alg"] != "RS256" || header["kid"] != "JWT-Signature-Key" || header["typ"] != "JWT" {
		t.Errorf("header %v", header)
	}
	keys := slices.Sorted(maps.Keys(claims))
	want := []string{"aud", "azp", "exp", "iat", "iss", "jti", "kid", "name", "owner", "region", "scp", "sub", "tenant", "tier"}
	if !slices.Equal(keys, want) {
		t.Errorf("claims %v, want exactly %v", keys, want)
	}
	now := e.clock.Now().Unix()
	if claims["sub"] != "CHARACTER:EVE:"+itoa(c.ID) || claims["name"] != c.Name || claims["owner"] != e.u.OwnerHash(c) ||
		claims["azp"] != confidentialID || claims["iss"] != "https://login.eveonline.com" || claims["tenant"] != "tranquility" ||
		claims["tier"] != "live" || claims["region"] != "world" || claims["kid"] != "JWT-Signature-Key" ||
		claims["iat"] != float64(now) || claims["exp"] != float64(now+1200) {
		t.Errorf("claims %v", claims)
	}
	if aud, _ := json.Marshal(claims["aud"]); string(aud) != `["`+confidentialID+`","EVE Online"]` {
		t.Errorf("aud %s", aud)
	}
	if scp, _ := json.Marshal(claims["scp"]); string(scp) != `["esi-skills.read_skills.v1","publicData"]` {
		t.Errorf("scp %s", scp)
	}
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAccessToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	other := newEnv(t, func(o *Options) { o.Issuer = IssuerSelf }) // same key, another issuer
	c := e.someCharacter(t, 7)
	tr := e.exchange(t, e.login(t, c.ID))

	at, err := e.srv.VerifyAccessToken(tr.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if at.CharacterID != c.ID || at.ClientID != confidentialID || !at.HasScope("publicData") || len(at.Scopes) != 2 ||
		!at.Expires.Equal(e.clock.Now().Add(20*time.Minute)) {
		t.Errorf("verified %+v", at)
	}
	if _, err := other.srv.VerifyAccessToken(tr.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("another server's token: %v", err)
	}
	if _, err := e.srv.VerifyAccessToken(tr.AccessToken[:len(tr.AccessToken)-4] + "AAAA"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("tampered signature: %v", err)
	}

	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v2/oauth/verify", nil)
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(readBody(t, resp)), &v); err != nil || v["CharacterID"] != float64(c.ID) ||
		v["Scopes"] != "esi-skills.read_skills.v1 publicData" || v["CharacterOwnerHash"] != e.u.OwnerHash(c) {
		t.Errorf("verify: %v %v", v, err)
	}

	e.clock.Advance(20*time.Minute + time.Second)
	if _, err := e.srv.VerifyAccessToken(tr.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("expired token: %v", err)
	}
	resp, err = e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if readBody(t, resp); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("verify of an expired token: %d", resp.StatusCode)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for name, o := range map[string]Options{
		"no universe":   {BaseURL: "http://x"},
		"bad base":      {BaseURL: "ftp://x", Universe: e.u},
		"base path":     {BaseURL: "http://x/sso", Universe: e.u},
		"public secret": {BaseURL: "http://x", Universe: e.u, Clients: []Client{{ID: "a", Secret: "s", Callback: "http://c", Public: true}}},
		"no secret":     {BaseURL: "http://x", Universe: e.u, Clients: []Client{{ID: "a", Callback: "http://c"}}},
		"no callback":   {BaseURL: "http://x", Universe: e.u, Clients: []Client{{ID: "a", Secret: "s"}}},
	} {
		o.SigningKey = testKey()
		if _, err := New(o); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
