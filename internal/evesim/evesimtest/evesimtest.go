// Package evesimtest helps tests log simulated characters in: it runs the
// authorization code flow of Keepstar's SSO client against the simulator,
// with the simulator's character_id shortcut standing in for the player's
// clicks.
package evesimtest

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/eve/sso"
)

// Login logs characterID in through client (pointed at a simulator) with the
// given scopes and returns the exchanged token.
func Login(t testing.TB, client *sso.Client, characterID int32, scopes ...string) sso.Token {
	t.Helper()
	ctx := context.Background()
	state, verifier := sso.NewState(), sso.NewVerifier()
	authURL, err := client.AuthorizeURL(ctx, state, scopes, verifier)
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(authURL + "&character_id=" + strconv.Itoa(int(characterID)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	tok, err := client.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
