package appapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestGroupsJSONIsEncodingJSON: the groups' hand-written JSON is
// encoding/json's, byte for byte, for names and descriptions that need
// escaping (HTML characters, quotes, control characters, invalid UTF-8,
// U+2028) and for every optional field.
func TestGroupsJSONIsEncodingJSON(t *testing.T) {
	yes, no, empty := true, false, ""
	strs := []string{"", "Members", `a "b" \c`, "<script>&amp;", "tab\there\nnew", "\x00\x1f\x7f", "é ü 中文 🚀",
		"bad \xff utf8", "line\u2028sep\u2029", "ok-name_1.2 (x)"}
	for _, groups := range [][]Group{nil, {}, {{ID: 1, Name: "A", Visibility: "public"}}} {
		checkGroupsJSON(t, groups)
	}
	var groups []Group
	for i, s := range strs {
		d := s
		g := Group{ID: int64(i) - 3, Name: s, Description: &d, Visibility: "private", AutoAccept: i%2 == 0, IsDefault: i%3 == 0}
		switch i % 3 {
		case 0:
			g.Description = nil
		case 1:
			g.IsAutoManaged = &yes
		default:
			g.IsAutoManaged = &no
		}
		groups = append(groups, g)
	}
	groups = append(groups, Group{ID: 1 << 62, Name: "big", Description: &empty})
	checkGroupsJSON(t, groups)
}

// FuzzGroupsJSON: the same for any name and description.
func FuzzGroupsJSON(f *testing.F) {
	f.Add("Members", "The corp's members <all>", int64(7))
	f.Add("\xed\xa0\x80", "\u2028", int64(-1))
	f.Fuzz(func(t *testing.T, name, description string, id int64) {
		checkGroupsJSON(t, []Group{{ID: id, Name: name, Description: &description, Visibility: "public"}, {ID: id, Name: description}})
	})
}

func checkGroupsJSON(t *testing.T, groups []Group) {
	t.Helper()
	want, err := json.Marshal(groups)
	if err != nil {
		t.Fatal(err)
	}
	if groups == nil {
		// Never given: an empty list is [], as groupsOfCharacter makes it.
		want = []byte("[]")
	}
	if got := appendGroupsJSON(nil, groups); string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestPlainDigitsReadAsPHP: the regular expression's way and the plain
// digits' way read a string of digits to the same number, up to the
// lengths that could overflow, which take the regular expression's way.
func TestPlainDigitsReadAsPHP(t *testing.T) {
	for _, s := range []string{"0", "7", "007", "90000001", "2112000000", strings.Repeat("9", 18), "000000000000000001"} {
		n, ok := plainDigits(s)
		if !ok || n != phpNumericInt(s) {
			t.Errorf("%q: %d %t, want %d", s, n, ok, phpNumericInt(s))
		}
	}
	for _, s := range []string{"", strings.Repeat("9", 19), "12abc", " 1", "+1", "-1", "1.5", "1e3", "١٢"} {
		if n, ok := plainDigits(s); ok {
			t.Errorf("%q read as plain digits: %d", s, n)
		}
	}
}

// TestGroupNameKeysAreSortByNames: groups sorted through the kept keys
// come in sortByName's order, also once the table has started over.
func TestGroupNameKeysAreSortByNames(t *testing.T) {
	names := []string{"b", "B", "a", "Å", "é", "e", "Zed", "zed", "10", "9", "", "Ärger", "alpha beta", "alpha-beta"}
	var keys nameKeys
	for round := range 2 {
		var gs []Group
		for i, n := range names {
			gs = append(gs, Group{ID: int64(len(names) - i), Name: n})
		}
		want := append([]Group(nil), gs...)
		sortByName(want, func(g Group) (string, int64) { return g.Name, g.ID })
		keys.sortGroups(gs)
		for i := range gs {
			if gs[i].ID != want[i].ID {
				t.Fatalf("round %d: %v, want %v", round, gs, want)
			}
		}
		// Full: the next round keys every name afresh.
		for i := range maxNameKeys {
			keys.of("filler " + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
		}
	}
}
