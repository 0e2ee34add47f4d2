package esi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const members = "esi-corporations.read_corporation_membership.v1"
	const tracking = "esi-corporations.track_members.v1"
	membersPath := fmt.Sprintf("/corporations/%d/members", c.corp)
	trackingPath := fmt.Sprintf("/corporations/%d/membertracking", c.corp)
	rolesPath := fmt.Sprintf("/characters/%d/roles", c.member)

	expired := f.token(c.member, members)
	f.setGrant(expired, Grant{CharacterID: c.member, Scopes: []string{members}, ClientID: "x", Expires: f.clock.Now().Add(time.Second)})
	f.clock.Advance(time.Second)

	for _, tc := range []struct {
		name, path, auth string
		want             int
		errPart          string
	}{
		{"no token", membersPath, "", 401, "no bearer token"},
		{"not bearer", membersPath, "Basic abc", 401, "no bearer token"},
		{"unknown token", membersPath, "Bearer nope", 401, "invalid"},
		{"expired token", membersPath, "Bearer " + expired, 401, "expired"},
		{"missing scope", membersPath, "Bearer " + f.token(c.member, tracking), 403, "scope"},
		{"member", membersPath, "Bearer " + f.token(c.member, members), 200, ""},
		{"outsider", membersPath, "Bearer " + f.token(c.outsider, members), 403, "not in the corporation"},
		{"no director role", trackingPath, "Bearer " + f.token(c.member, tracking), 403, "Director"},
		{"director", trackingPath, "Bearer " + f.token(c.director, tracking), 200, ""},
		{"other character", rolesPath, "Bearer " + f.token(c.director, "esi-characters.read_corporation_roles.v1"), 403, "does not match"},
		{"own character", rolesPath, "Bearer " + f.token(c.member, "esi-characters.read_corporation_roles.v1"), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := f.newRequest("GET", tc.path, "", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			got := f.send(req).want(t, tc.want)
			if tc.errPart != "" && !strings.Contains(got.errorText(t), tc.errPart) {
				t.Errorf("error %q does not mention %q", got.errorText(t), tc.errPart)
			}
		})
	}

	// Moving to another corporation loses access at once, and the roles.
	tok := f.token(c.director, tracking)
	other := universe.FirstPlayerCorporation + 1
	if other == c.corp {
		other += 3
	}
	if err := f.u.MoveCharacter(c.director, other); err != nil {
		t.Fatal(err)
	}
	f.do("GET", trackingPath, tok, nil).want(t, 403)
}

func TestTokenVerifierFunc(t *testing.T) {
	t.Parallel()
	u, err := universe.Generate(universe.Options{Seed: 3, Characters: 20, Now: func() time.Time { return testStart }})
	if err != nil {
		t.Fatal(err)
	}
	id := u.CharacterIDs()[0]
	verify := TokenVerifierFunc(func(raw string) (Grant, error) {
		if raw != "good" {
			return Grant{}, errUnknownToken
		}
		return Grant{CharacterID: id, Scopes: []string{"esi-location.read_online.v1"}, ClientID: "app"}, nil
	})
	f := &fixture{t: t, srv: New(Options{Universe: u, Tokens: verify})}
	path := fmt.Sprintf("/characters/%d/online", id)
	f.local("GET", path, "good", "10.0.0.1:1").want(t, 200)
	f.local("GET", path, "bad", "10.0.0.1:1").want(t, 401)
}

func TestNoVerifierRejectsTokens(t *testing.T) {
	t.Parallel()
	u, err := universe.Generate(universe.Options{Seed: 2, Characters: 20, Now: func() time.Time { return testStart }})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Universe: u})
	f := &fixture{t: t, srv: srv}
	got := f.local("GET", fmt.Sprintf("/characters/%d/online", universe.FirstCharacter+1), "anything", "10.0.0.1:1")
	got.want(t, 401)
}
