package esi

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTitles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	const corpScope, charScope = "esi-corporations.read_titles.v1", "esi-characters.read_titles.v1"
	titles, err := f.u.Titles(c.corp)
	if err != nil || len(titles) < 3 {
		t.Fatalf("titles %v: %v", titles, err)
	}
	held := []int32{titles[0].ID, titles[2].ID}
	if err := f.u.SetTitles(c.director, held); err != nil {
		t.Fatal(err)
	}
	dir := f.token(c.director, corpScope, charScope)
	titlesPath := fmt.Sprintf("/corporations/%d/titles", c.corp)
	membersPath := fmt.Sprintf("/corporations/%d/members/titles", c.corp)
	ownPath := fmt.Sprintf("/characters/%d/titles", c.director)

	var corpTitles []corporationTitle
	f.do("GET", titlesPath, dir, nil).want(t, 200).json(t, &corpTitles)
	if len(corpTitles) != len(titles) {
		t.Fatalf("%d titles, want %d", len(corpTitles), len(titles))
	}
	for i, ct := range corpTitles {
		if ct.TitleID != titles[i].ID || ct.Name != titles[i].Name || ct.Roles == nil {
			t.Errorf("title %d: %+v, want %+v with empty role lists", i, ct, titles[i])
		}
	}

	var members []memberTitles
	f.do("GET", membersPath, dir, nil).want(t, 200).json(t, &members)
	m, _ := f.u.Members(c.corp)
	if len(members) != len(m) {
		t.Fatalf("%d members listed, want %d", len(members), len(m))
	}
	for _, e := range members {
		ch, _ := f.u.Character(e.CharacterID)
		if !slices.Equal(e.Titles, nonNil(ch.TitleIDs)) {
			t.Errorf("member %d: titles %v, want %v", e.CharacterID, e.Titles, ch.TitleIDs)
		}
	}

	var own []characterTitle
	f.do("GET", ownPath, dir, nil).want(t, 200).json(t, &own)
	want := []characterTitle{{titles[0].Name, titles[0].ID}, {titles[2].Name, titles[2].ID}}
	if !slices.Equal(own, want) {
		t.Errorf("own titles %+v, want %+v", own, want)
	}

	// A Director of another corporation.
	var otherDirector int32
	for _, cid := range f.u.CorporationIDs() {
		if corp, _ := f.u.Corporation(cid); cid != c.corp && !corp.NPC && corp.CEOID != 0 {
			otherDirector = corp.CEOID
			break
		}
	}
	for _, tc := range []struct {
		name, path, token, errPart string
		want                       int
	}{
		{"corporation titles without scope", titlesPath, f.token(c.director, charScope, "esi-corporations.read_corporation_membership.v1"), "scope", 403},
		{"corporation titles without Director", titlesPath, f.token(c.member, corpScope), "Director", 403},
		{"corporation titles of another corporation", titlesPath, f.token(otherDirector, corpScope), "not in the corporation", 403},
		{"member titles without scope", membersPath, f.token(c.director, charScope), "scope", 403},
		{"member titles without Director", membersPath, f.token(c.member, corpScope), "Director", 403},
		{"member titles of another corporation", membersPath, f.token(otherDirector, corpScope), "not in the corporation", 403},
		{"character titles without scope", ownPath, f.token(c.director, corpScope), "scope", 403},
		{"another character's titles", ownPath, f.token(c.member, charScope), "does not match", 403},
		{"no token", ownPath, "", "no bearer token", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := f.do("GET", tc.path, tc.token, nil).want(t, tc.want)
			if e := got.errorText(t); !strings.Contains(e, tc.errPart) {
				t.Errorf("error %q does not mention %q", e, tc.errPart)
			}
		})
	}

	// Leaving the corporation takes the titles away and the access with them.
	if err := f.u.MoveCharacter(c.director, 1000167); err != nil {
		t.Fatal(err)
	}
	f.do("GET", ownPath, dir, nil).want(t, 200).json(t, &own)
	if len(own) != 0 {
		t.Errorf("titles %+v after leaving the corporation", own)
	}
	f.do("GET", titlesPath, dir, nil).want(t, 403)
}
