package universe

import (
	"errors"
	"slices"
	"testing"
)

func TestTitlesAreGeneratedDeterministically(t *testing.T) {
	a, b := gen(t, 11, 3000), gen(t, 11, 3000)
	holders := 0
	for _, cid := range a.CorporationIDs() {
		ta, err := a.Titles(cid)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := b.Titles(cid)
		if !slices.Equal(ta, tb) {
			t.Fatalf("corporation %d: titles %v and %v from one seed", cid, ta, tb)
		}
		corp, _ := a.Corporation(cid)
		if corp.NPC != (len(ta) == 0) {
			t.Errorf("corporation %d (NPC %v) has %d titles", cid, corp.NPC, len(ta))
		}
		for i, title := range ta {
			if title.ID != 1<<i || title.Name == "" {
				t.Errorf("corporation %d: title %d is %+v, want id %d and a name", cid, i, title, 1<<i)
			}
		}
	}
	for _, id := range a.CharacterIDs() {
		ca, _ := a.Character(id)
		cb, _ := b.Character(id)
		if !slices.Equal(ca.TitleIDs, cb.TitleIDs) {
			t.Fatalf("character %d: titles %v and %v from one seed", id, ca.TitleIDs, cb.TitleIDs)
		}
		titles, _ := a.Titles(ca.CorporationID)
		for _, tid := range ca.TitleIDs {
			if !slices.ContainsFunc(titles, func(t Title) bool { return t.ID == tid }) {
				t.Fatalf("character %d holds title %d its corporation %d lacks", id, tid, ca.CorporationID)
			}
		}
		if len(ca.TitleIDs) > 0 {
			holders++
		}
	}
	if holders < 300 || holders > 1200 {
		t.Errorf("%d of 3000 characters hold titles, want about a quarter of the members", holders)
	}
	if _, err := a.Titles(1); !errors.Is(err, ErrNoCorporation) {
		t.Errorf("titles of an unknown corporation: %v", err)
	}
}

func TestSetTitles(t *testing.T) {
	u := gen(t, 5, 500)
	var id, corpID int32
	for _, cid := range u.CharacterIDs() {
		c, _ := u.Character(cid)
		if corp, _ := u.Corporation(c.CorporationID); !corp.NPC {
			id, corpID = cid, c.CorporationID
			break
		}
	}
	titles, _ := u.Titles(corpID)
	last := titles[len(titles)-1].ID
	if err := u.SetTitles(id, []int32{last, 1, last}); err != nil {
		t.Fatal(err)
	}
	if c, _ := u.Character(id); !slices.Equal(c.TitleIDs, []int32{1, last}) {
		t.Errorf("titles %v, want [1 %d]", c.TitleIDs, last)
	}
	if err := u.SetTitles(id, []int32{last << 1}); !errors.Is(err, ErrNoTitle) {
		t.Errorf("a title the corporation lacks: %v", err)
	}
	if err := u.SetTitles(id, []int32{3}); !errors.Is(err, ErrNoTitle) {
		t.Errorf("title id 3: %v", err)
	}
	if c, _ := u.Character(id); !slices.Equal(c.TitleIDs, []int32{1, last}) {
		t.Errorf("a refused change altered the titles: %v", c.TitleIDs)
	}
	if err := u.SetTitles(1, nil); !errors.Is(err, ErrNoCharacter) {
		t.Errorf("unknown character: %v", err)
	}

	// Leaving the corporation loses the titles; the starter corporation
	// has none to give.
	if err := u.MoveCharacter(id, 1000167); err != nil {
		t.Fatal(err)
	}
	if c, _ := u.Character(id); len(c.TitleIDs) != 0 {
		t.Errorf("titles %v survive a move", c.TitleIDs)
	}
	if err := u.SetTitles(id, []int32{1}); !errors.Is(err, ErrNoTitle) {
		t.Errorf("title in an NPC corporation: %v", err)
	}
	if err := u.SetTitles(id, []int32{}); err != nil {
		t.Errorf("clearing titles: %v", err)
	}
}
