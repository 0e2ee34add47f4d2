package discourse

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/keepstar/keepstar/internal/discoursesim"
	"github.com/keepstar/keepstar/internal/services"
)

func testConnector(t testing.TB) *connector {
	t.Helper()
	c, err := open(services.Instance{Slug: "forum", Settings: map[string]string{SettingURL: "https://forum.example.org/community",
		SettingConnectSecret: "a-secret-of-twenty-chars", SettingAPIKey: "key", SettingEmailDomain: "users.example.org"}}, services.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signed(secret string, p url.Values) url.Values {
	sso := base64.StdEncoding.EncodeToString([]byte(p.Encode()))
	return url.Values{"sso": {sso}, "sig": {discoursesim.Sign(secret, sso)}}
}

// The forum's request: signed with the secret, going back under the
// forum's address; anything else is refused.
func TestRequest(t *testing.T) {
	c := testConnector(t)
	good := "https://forum.example.org/community/session/sso_login"
	nonce, back, err := c.request(signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n1"}, "return_sso_url": {good}}))
	if err != nil || nonce != "n1" || back.String() != good {
		t.Fatalf("a good request: %q %v %v", nonce, back, err)
	}
	for name, q := range map[string]url.Values{
		"other secret": signed("another-secret-0123456", url.Values{"nonce": {"n1"}, "return_sso_url": {good}}),
		"no nonce":     signed("a-secret-of-twenty-chars", url.Values{"return_sso_url": {good}}),
		"other host":   signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n"}, "return_sso_url": {"https://evil.example/community/session/sso_login"}}),
		"other path":   signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n"}, "return_sso_url": {"https://forum.example.org/communityx/sso"}}),
		"http":         signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n"}, "return_sso_url": {"http://forum.example.org/community/session/sso_login"}}),
		"userinfo":     signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n"}, "return_sso_url": {"https://x@forum.example.org/community/session/sso_login"}}),
		"relative":     signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n"}, "return_sso_url": {"/community/session/sso_login"}}),
		"empty":        {},
		"not base64":   {"sso": {"bm9uY2U9MQ==!"}, "sig": {discoursesim.Sign("a-secret-of-twenty-chars", "bm9uY2U9MQ==!")}},
	} {
		if _, _, err := c.request(q); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

func FuzzRequest(f *testing.F) {
	c := testConnector(f)
	q := signed("a-secret-of-twenty-chars", url.Values{"nonce": {"n1"}, "return_sso_url": {"https://forum.example.org/community/session/sso_login"}})
	f.Add(q.Get("sso"), q.Get("sig"))
	f.Add("", "")
	f.Add("////", "00")
	f.Fuzz(func(t *testing.T, sso, sig string) {
		_, back, err := c.request(url.Values{"sso": {sso}, "sig": {sig}})
		if err == nil && !c.ours(back) {
			t.Fatalf("a request going elsewhere was taken: %s", back)
		}
	})
}

// The setup check: a refused key, and groups the forum lacks when
// Keepstar does not make them.
func TestCheck(t *testing.T) {
	sim := discoursesim.New(discoursesim.Options{Secret: "a-secret-of-twenty-chars", APIKey: "key"})
	if err := sim.AddGroup("Capitals"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	defer ts.Close()
	for key, want := range map[string][]string{"wrong": {"services.discourse.problem.key_refused"},
		"key": {"services.discourse.problem.group_missing"}} {
		c, err := open(services.Instance{Slug: "forum", Settings: map[string]string{SettingURL: ts.URL,
			SettingConnectSecret: "a-secret-of-twenty-chars", SettingAPIKey: key, SettingEmailDomain: "users.example.org"}}, services.Env{})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := c.Check(context.Background(), []string{"Capitals", "Fleet Command"})
		if err != nil || len(ps) != len(want) || ps[0].Message != want[0] {
			t.Fatalf("key %s: %+v, %v", key, ps, err)
		}
	}
}
