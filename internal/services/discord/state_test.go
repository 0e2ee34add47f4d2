package discord

import (
	"slices"
	"strings"
	"testing"
)

func TestState(t *testing.T) {
	for in, want := range map[string][]string{
		`["2","10","2"]`:               {"10", "2"},
		`[]`:                           {},
		` [ "18446744073709551615" ] `: {"18446744073709551615"},
		`["1"]`:                        {"1"},
	} {
		got, ok := parseState(in)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("parseState(%s) = %v %v", in, got, ok)
		}
	}
	for _, in := range []string{``, `null`, `{}`, `["x"]`, `[1]`, `["18446744073709551616"]`, `["01"]`, `["0"]`, `["-1"]`, `[""]`} {
		if got, ok := parseState(in); ok {
			t.Errorf("parseState(%s) = %v, want refused", in, got)
		}
	}
	if s := formatState([]string{"3", "1", "3"}); s != `["1","3"]` {
		t.Fatalf("formatState %s", s)
	}
	if s := formatState(nil); s != `[]` {
		t.Fatalf("formatState(nil) %s", s)
	}
	if !lessID("9", "10") || lessID("10", "9") || !lessID("100", "101") {
		t.Fatal("lessID does not order numbers")
	}
}

// Whatever a row holds, parseState refuses it or gives snowflakes that
// format back to a State it reads alike.
func FuzzParseState(f *testing.F) {
	for _, s := range []string{`["1","2"]`, `[]`, `null`, `["x"]`, `[1]`, `["1","1"]`, `{"a":1}`, `["18446744073709551615"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roles, ok := parseState(s)
		if !ok {
			return
		}
		for _, id := range roles {
			if !isSnowflake(id) || strings.TrimLeft(id, "0123456789") != "" {
				t.Fatalf("%q gave id %q", s, id)
			}
		}
		again, ok := parseState(formatState(roles))
		if !ok || !slices.Equal(again, roles) || !slices.IsSorted(roles) {
			t.Fatalf("%q: %v then %v", s, roles, again)
		}
	})
}
