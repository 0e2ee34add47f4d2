package sso

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// keyServer is a minimal SSO for hand-made tokens: the metadata document
// and a JWKS whose keys a test may change, as CCP would on a key rotation.
type keyServer struct {
	ts      *httptest.Server
	mu      sync.Mutex
	jwks    []byte
	fetches atomic.Int32
	ec      *ecdsa.PrivateKey
	ec2     *ecdsa.PrivateKey // not published until rotate
}

func newKeyServer(t *testing.T) *keyServer {
	t.Helper()
	ks := &keyServer{}
	var err error
	if ks.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if ks.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	ks.publish(map[string]any{"rsa": testKey().Public(), "ec": &ks.ec.PublicKey})
	ks.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server":
			json.NewEncoder(w).Encode(map[string]string{
				"issuer": ks.ts.URL, "authorization_endpoint": ks.ts.URL + "/v2/oauth/authorize",
				"token_endpoint": ks.ts.URL + "/v2/oauth/token", "jwks_uri": ks.ts.URL + "/oauth/jwks",
				"revocation_endpoint": ks.ts.URL + "/v2/oauth/revoke",
			})
		case "/oauth/jwks":
			ks.fetches.Add(1)
			ks.mu.Lock()
			w.Write(ks.jwks)
			ks.mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ks.ts.Close)
	return ks
}

// publish sets the JWKS, with an unusable key among them that must be
// skipped.
func (ks *keyServer) publish(keys map[string]any) {
	b64 := base64.RawURLEncoding.EncodeToString
	list := []map[string]string{{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}}
	for kid, k := range keys {
		switch k := k.(type) {
		case *ecdsa.PublicKey:
			b, _ := k.Bytes()
			list = append(list, map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid, "x": b64(b[1:33]), "y": b64(b[33:])})
		default:
			pub := testKey().PublicKey
			list = append(list, map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
		}
	}
	b, _ := json.Marshal(map[string]any{"keys": list})
	ks.mu.Lock()
	ks.jwks = b
	ks.mu.Unlock()
}

func (ks *keyServer) client(t *testing.T, clk *universe.Clock) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: ks.ts.URL, ClientID: clientID, ClientSecret: clientSecret, RedirectURL: callback, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// claims are good claims for a token issued at the clock's time.
func goodClaims(issuer string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"scp": "publicData", "jti": "998e12c7-3241-43c5-8355-2c48822e0a1b", "kid": "rsa",
		"sub": "CHARACTER:EVE:90000001", "azp": clientID, "tenant": "tranquility", "tier": "live", "region": "world",
		"aud": []string{clientID, "EVE Online"}, "name": "Some Bloke", "owner": "8PmzCeTKb4VFUDrHLc/AeZXDSWM=",
		"exp": now.Add(20 * time.Minute).Unix(), "iat": now.Unix(), "iss": issuer,
	}
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateHandMadeTokens(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	clk := newClock()
	c := ks.client(t, clk)
	ctx := context.Background()
	now := clk.Now()
	host := strings.TrimPrefix(ks.ts.URL, "http://")

	pubDER, err := x509.MarshalPKIXPublicKey(testKey().Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	with := func(k string, v any) jwt.MapClaims {
		cl := goodClaims(ks.ts.URL, now)
		if v == nil {
			delete(cl, k)
		} else {
			cl[k] = v
		}
		return cl
	}
	rs := func(cl jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, "rsa", cl, testKey()) }

	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"RS256, the metadata's issuer", rs(goodClaims(ks.ts.URL, now)), true},
		{"EVE's issuer, reached elsewhere", rs(goodClaims("https://login.eveonline.com", now)), true},
		{"EVE's older issuer, reached elsewhere", rs(goodClaims("login.eveonline.com", now)), true},
		{"EVE's issuer, signed by a stranger", sign(t, jwt.SigningMethodES256, "ec", goodClaims("https://login.eveonline.com", now), ks.ec2), false},
		{"the SSO's host, which its metadata does not name", rs(goodClaims(host, now)), false},
		{"EVE's host over http", rs(goodClaims("http://login.eveonline.com", now)), false},
		{"EVE's host with a path", rs(goodClaims("https://login.eveonline.com/", now)), false},
		{"ES256", sign(t, jwt.SigningMethodES256, "ec", goodClaims(ks.ts.URL, now), ks.ec), true},
		{"scp array", rs(with("scp", []string{"a", "b"})), true},
		{"no scp", rs(with("scp", nil)), true},
		{"alg none", sign(t, jwt.SigningMethodNone, "rsa", goodClaims(ks.ts.URL, now), jwt.UnsafeAllowNoneSignatureType), false},
		{"HS256 keyed with the public key PEM", sign(t, jwt.SigningMethodHS256, "rsa", goodClaims(ks.ts.URL, now), pubPEM), false},
		{"HS256 keyed with the modulus", sign(t, jwt.SigningMethodHS256, "rsa", goodClaims(ks.ts.URL, now), testKey().N.Bytes()), false},
		{"HS256 with the JWKS's own oct key", sign(t, jwt.SigningMethodHS256, "hmac", goodClaims(ks.ts.URL, now), []byte("secret")), false},
		{"RS256 naming the EC key", sign(t, jwt.SigningMethodRS256, "ec", goodClaims(ks.ts.URL, now), testKey()), false},
		{"ES256 by a stranger's key", sign(t, jwt.SigningMethodES256, "ec", goodClaims(ks.ts.URL, now), ks.ec2), false},
		{"another client's", rs(with("aud", []string{"someone-else", "EVE Online"})), false},
		{"no EVE Online audience", rs(with("aud", []string{clientID})), false},
		{"audience a string", rs(with("aud", clientID)), false},
		{"expired", rs(with("exp", now.Add(-time.Minute).Unix())), false},
		{"no exp", rs(with("exp", nil)), false},
		{"wrong issuer", rs(with("iss", "https://login.evil.example")), false},
		{"no issuer", rs(with("iss", nil)), false},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, "other", goodClaims(ks.ts.URL, now), testKey()), false},
		{"corporation subject", rs(with("sub", "CORPORATION:EVE:98000001")), false},
		{"subject without id", rs(with("sub", "CHARACTER:EVE:")), false},
		{"no owner", rs(with("owner", nil)), false},
		{"scp a number", rs(with("scp", 5)), false},
		{"garbage", "not.a.jwt", false},
	} {
		claims, err := c.ValidateAccessToken(ctx, tc.token)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: accepted: %+v", tc.name, claims)
		case !tc.ok && !errors.Is(err, ErrInvalidToken):
			t.Errorf("%s: %v does not match ErrInvalidToken", tc.name, err)
		case tc.ok && (claims.CharacterID != 90000001 || claims.Owner == "" || claims.Name != "Some Bloke"):
			t.Errorf("%s: claims %+v", tc.name, claims)
		}
	}
}

func TestUnknownKidRefetchesOnce(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	clk := newClock()
	c := ks.client(t, clk)
	ctx := context.Background()
	ec2Token := func() string {
		return sign(t, jwt.SigningMethodES256, "ec2", goodClaims(ks.ts.URL, clk.Now()), ks.ec2)
	}

	if _, err := c.ValidateAccessToken(ctx, sign(t, jwt.SigningMethodRS256, "rsa", goodClaims(ks.ts.URL, clk.Now()), testKey())); err != nil {
		t.Fatal(err)
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	// A kid the JWKS lacks: one more fetch, then refused.
	if _, err := c.ValidateAccessToken(ctx, ec2Token()); !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown kid: %v", err)
	}
	if n := ks.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	// CCP publishes the key, but the JWKS was just fetched: no fetch for a
	// minute, however many tokens name the new kid.
	ks.publish(map[string]any{"rsa": testKey().Public(), "ec": &ks.ec.PublicKey, "ec2": &ks.ec2.PublicKey})
	for range 3 {
		if _, err := c.ValidateAccessToken(ctx, ec2Token()); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("within the minute: %v", err)
		}
	}
	if n := ks.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want still 2", n)
	}
	clk.Advance(time.Minute)
	if _, err := c.ValidateAccessToken(ctx, ec2Token()); err != nil {
		t.Errorf("after the minute, the new key: %v", err)
	}
	if n := ks.fetches.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"no client id": {RedirectURL: callback},
		"no redirect":  {ClientID: "x"},
		"bad base":     {BaseURL: "login.eveonline.com", ClientID: "x", RedirectURL: callback},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, err := New(Config{ClientID: "x", RedirectURL: callback})
	if err != nil || c.base.String() != DefaultBaseURL {
		t.Errorf("default SSO: %v %v", c, err)
	}
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	small := `{"keys":[{"kty":"RSA","kid":"k","n":"` + base64.RawURLEncoding.EncodeToString(big.NewInt(1<<62).Bytes()) + `","e":"AQAB"}]}`
	for name, doc := range map[string]string{
		"not JSON":        `nope`,
		"no keys":         `{"keys":[]}`,
		"only HMAC":       `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`,
		"weak RSA":        small,
		"EC off curve":    `{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`,
		"encryption only": `{"keys":[{"kty":"RSA","kid":"k","use":"enc","n":"AQAB","e":"AQAB"}]}`,
	} {
		if _, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
