package i18n

import "testing"

func TestBalanceAndIsolateBidi(t *testing.T) {
	for _, tc := range []struct{ in, balanced string }{
		{"Ann Alpha", "Ann Alpha"},
		{"O'Neil", "O'Neil"},
		{"Evil\u202Eolleh", "Evil\u202Eolleh\u202C"},                             // override left open: closed
		{"a\u202Bb\u202Ac", "a\u202Bb\u202Ac\u202C\u202C"},                       // nested embeddings
		{"x\u202Cy", "xy"},                                                       // a closer without opener: dropped
		{"\u2069\u202Eevil", "\u202Eevil\u202C"},                                 // a stray PDI would close our isolate: dropped
		{"\u2067a\u202Eb\u2069c", "\u2067a\u202Eb\u2069c"},                       // PDI closes the isolate and the override in it
		{"\u2066a\u202Cb", "\u2066ab\u2069"},                                     // PDF cannot close across an isolate
		{"\u202Ea\u2066b\u202Cc", "\u202Ea\u2066bc\u2069\u202C"},                 // nor reach the override outside it
		{"\u200Fmark", "\u200Fmark"},                                             // marks have no scope
		{"\u202E\u202E\u202C\u202C\u202C", "\u202E\u202E\u202C\u202C"},           // one closer too many
		{"\u2068\u2068\u2069", "\u2068\u2068\u2069\u2069"},                       // one isolate left open
		{"\u202D\u2067\u202Ex\u2069y\u202C", "\u202D\u2067\u202Ex\u2069y\u202C"}, // already balanced
	} {
		if got := BalanceBidi(tc.in); got != tc.balanced {
			t.Errorf("BalanceBidi(%+q) = %+q, want %+q", tc.in, got, tc.balanced)
		}
		want := tc.in
		if HasBidiControl(tc.in) {
			want = "\u2068" + tc.balanced + "\u2069"
		}
		if got := IsolateBidi(tc.in); got != want {
			t.Errorf("IsolateBidi(%+q) = %+q, want %+q", tc.in, got, want)
		}
	}
	for _, r := range "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C" {
		if !HasBidiControl("a" + string(r)) {
			t.Errorf("%U is not seen", r)
		}
	}
	if HasBidiControl("Ann \u05D0\u05D1 Alpha \u200D") {
		t.Error("letters of a right-to-left script, or a joiner, taken for controls")
	}
}

// A message's arguments are isolated: a name cannot reorder the words
// after it.
func TestTIsolatesArguments(t *testing.T) {
	en := testdata(t).Localizer("en")
	if got, want := en.T("test.greeting", "Name", "Evil\u202Eolleh"), "Hello \u2068Evil\u202Eolleh\u202C\u2069"; got != want {
		t.Errorf("T = %+q, want %+q", got, want)
	}
	if got := en.T("test.greeting", "Name", "Ann"); got != "Hello Ann" {
		t.Errorf("a plain name changed: %q", got)
	}
}
