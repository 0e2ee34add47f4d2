package discourse

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/discoursesim"
	"github.com/keepstar/keepstar/internal/services"
)

// BenchmarkSSOAnswer measures Keepstar's side of one sign-in of a member
// with a service account: the request's signature checked, the answer
// built and signed (no admin request is made for them).
func BenchmarkSSOAnswer(b *testing.B) {
	c := testConnector(b)
	q := signed("a-secret-of-twenty-chars", url.Values{"nonce": {"0123456789abcdef0123456789abcdef"},
		"return_sso_url": {"https://forum.example.org/community/session/sso_login"}})
	want := services.Want{Name: "Ёжик O'Neil", Groups: []string{"Capitals", "Fleet Command", "Logistics", "Member"}, AccountID: 42,
		Identity: services.Identity{CharacterID: 90000001}}
	acct := services.Account{ExternalID: "42", Groups: []string{"Capitals", "Scouts"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.SSOAnswer(ctx, q, want, acct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUsername(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Username("[CORP] Ёжик O'Neil the Third", 42)
	}
}

// BenchmarkApply measures one sync_sso round trip against the fake forum
// over loopback HTTP, both limits lifted: Keepstar's cost per changed
// member, beside which the admin API's limit (one request a second on
// average) is what bounds a resync.
func BenchmarkApply(b *testing.B) {
	sim := discoursesim.New(discoursesim.Options{Secret: "a-secret-of-twenty-chars", APIKey: "key", AdminMax: 1 << 30,
		AdminWindow: time.Minute})
	for _, g := range []string{"Capitals", "Fleet_Command"} {
		if err := sim.AddGroup(g); err != nil {
			b.Fatal(err)
		}
	}
	ts := httptest.NewServer(sim)
	b.Cleanup(ts.Close)
	c, err := open(services.Instance{Slug: "forum", Settings: map[string]string{SettingURL: ts.URL,
		SettingConnectSecret: "a-secret-of-twenty-chars", SettingAPIKey: "key", SettingEmailDomain: "users.example.org"}}, services.Env{})
	if err != nil {
		b.Fatal(err)
	}
	c.api.limit.max = 1 << 30
	ctx := context.Background()
	acct := services.Account{ExternalID: "42"}
	wants := []services.Want{{Name: "Some Pilot", Groups: []string{"Capitals"}, AccountID: 42},
		{Name: "Some Pilot", Groups: []string{"Fleet Command"}, AccountID: 42}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := wants[i%2]
		i++
		next, err := c.Apply(ctx, acct, w)
		if err != nil {
			b.Fatal(err)
		}
		next.Groups = w.Groups
		acct = next
	}
}
