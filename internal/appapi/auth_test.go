package appapi_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// legacyHash is an argon2id hash of secret in the PHC format, as Keepstar
// stored app secrets before they were HMACs (OWASP's parameters).
func legacyHash(t testing.TB, secret string) string {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(secret), salt, 2, 19*1024, 1, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 19*1024, 2, 1,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// storedHash reads an app's stored secret hash and version.
func storedHash(t testing.TB, site *sitetest.Site, id int64) (hash string, version int64) {
	t.Helper()
	if err := site.DB.QueryRow(context.Background(), `SELECT secret_hash, version FROM apps WHERE id = $1`, id).
		Scan(&hash, &version); err != nil {
		t.Fatal(err)
	}
	return hash, version
}

// TestSecretsAreHMACs: a new secret is stored as its HMAC, recognisable
// by its prefix and holding nothing of the secret; a secret stored as an
// argon2id hash before keeps working, and its first successful use stores
// its HMAC instead, without changing the app's version; a wrong secret
// neither works nor changes the hash.
func TestSecretsAreHMACs(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			a, err := st.Create(ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp}})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := st.NewSecret(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := storedHash(t, site, a.ID)
			if !strings.HasPrefix(hash, "$hmac-sha256$") || strings.Contains(hash, secret) || len(hash) != len("$hmac-sha256$")+43 {
				t.Errorf("a new secret is stored as %q, want $hmac-sha256$ and the sum's 43 base64 characters", hash)
			}
			if res, body := show(t, site.URL, bearer(a.ID, secret)); res.StatusCode != 200 {
				t.Fatalf("show with the new secret: %s %s", res.Status, body)
			}

			// An app whose secret was hashed with argon2id before.
			legacy := strings.Repeat("ab", 32)
			old := legacyHash(t, legacy)
			if _, err := site.DB.Exec(ctx, `UPDATE apps SET secret_hash = $2 WHERE id = $1`, a.ID, old); err != nil {
				t.Fatal(err)
			}
			_, version := storedHash(t, site, a.ID)
			if res, _ := show(t, site.URL, bearer(a.ID, strings.Repeat("cd", 32))); res.StatusCode != 401 {
				t.Errorf("a wrong secret against the argon2id hash: %s, want 401", res.Status)
			}
			if hash, _ := storedHash(t, site, a.ID); hash != old {
				t.Errorf("a wrong secret changed the hash to %q", hash)
			}
			if res, body := show(t, site.URL, bearer(a.ID, legacy)); res.StatusCode != 200 || !strings.Contains(body, `"Killboard"`) {
				t.Fatalf("the secret of the argon2id hash: %s %s", res.Status, body)
			}
			hash, v := storedHash(t, site, a.ID)
			if !strings.HasPrefix(hash, "$hmac-sha256$") || v != version {
				t.Errorf("after its first use: stored %q at version %d, want its HMAC at version %d", hash, v, version)
			}
			// The HMAC is the one a new secret would have: the next
			// requests are checked against it.
			for _, tc := range []struct {
				secret string
				want   int
			}{{legacy, 200}, {strings.Repeat("cd", 32), 401}, {legacy, 200}} {
				if res, _ := show(t, site.URL, bearer(a.ID, tc.secret)); res.StatusCode != tc.want {
					t.Errorf("after the upgrade, secret %.4s…: %s, want %d", tc.secret, res.Status, tc.want)
				}
			}
			if again, _ := storedHash(t, site, a.ID); again != hash {
				t.Error("the HMAC was written again")
			}
		})
	}
}

// TestFailedAuthenticationsLimited: each client address may fail to
// authenticate a few times in a window (3 here; 20 a minute by default);
// beyond, its API requests are refused with 429 and Retry-After before any
// secret is checked, a right one included, while other addresses and
// successful requests are not limited. Addresses are read past the trusted
// proxy with their ports dropped.
func TestFailedAuthenticationsLimited(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{
				"KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES": "3", "KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES_WINDOW": "1h",
				"KEEPSTAR_TRUSTED_PROXIES": "127.0.0.1"}})
			id, auth := newApp(t, site, "Killboard")
			wrong := bearer(id, strings.Repeat("0", 64))
			from := func(addr, auth string) (*http.Response, string) {
				t.Helper()
				return request(t, http.MethodGet, site.URL+"/api/app/v1/show", auth, "", "X-Forwarded-For", addr)
			}
			// Successful requests are never counted.
			for i := range 10 {
				if res, _ := from("198.51.100.2", auth); res.StatusCode != 200 {
					t.Fatalf("successful request %d: %s", i+1, res.Status)
				}
			}
			for i, a := range []string{wrong, "Bearer !!!", bearer(id+1000, "x")} {
				if res, _ := from("198.51.100.1:"+fmt.Sprint(40000+i), a); res.StatusCode != 401 {
					t.Errorf("failure %d: %s, want 401", i+1, res.Status)
				}
			}
			for _, a := range []string{wrong, auth} {
				res, body := from("198.51.100.1", a)
				if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" ||
					!strings.HasPrefix(body, "Authentication failure rate limit exceeded with 3 requests in ") {
					t.Errorf("over the failures: %s %q, Retry-After %q; want 429", res.Status, body, res.Header.Get("Retry-After"))
				}
			}
			for i := range 3 {
				if res, _ := from("198.51.100.2:9", auth); res.StatusCode != 200 {
					t.Errorf("another address, request %d: %s", i+1, res.Status)
				}
			}
			if got := metric(t, site, `keepstar_rate_limited_total{action="refused",kind="auth"}`); got != "2" {
				t.Errorf("refused metric: %q, want 2", got)
			}
		})
	}
}
