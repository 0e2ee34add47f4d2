package xenforo

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/xenforosim"
)

// BenchmarkApply measures one sync of a member whose groups changed: a
// getUser and one editUser to the fake api.php over loopback HTTP (group
// ids cached), Keepstar's cost per changed member.
func BenchmarkApply(b *testing.B) {
	sim := xenforosim.New(xenforosim.Options{APIKey: "k"})
	for _, g := range []string{"Keepstar", "Capitals", "Fleet Command"} {
		sim.AddGroup(g)
	}
	ts := httptest.NewServer(sim)
	b.Cleanup(ts.Close)
	c, err := open(services.Instance{Slug: "xf", Settings: map[string]string{SettingEndpoint: ts.URL + "/api.php", SettingAPIKey: "k",
		SettingMemberGroup: "Keepstar", SettingEmailDomain: "users.example.org"}}, services.Env{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	acct, err := c.Create(ctx, services.Want{Name: "Some Pilot", AccountID: 42}, "password123")
	if err != nil {
		b.Fatal(err)
	}
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
