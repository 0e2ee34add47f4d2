package phpbb3

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"  Bob   O'Brien ":       "Bob O'Brien",
		"Иван\u200bПетров":       "ИванПетров",
		"Pilot 😀 One":            "Pilot One",
		"Tab\there":              "Tab here",
		strings.Repeat("a", 300): strings.Repeat("a", 255),
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// username_clean as phpBB's utf8_clean_string makes it.
func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"Bob O'Brien": "bob o\u02b9brien",
		"ADMIN":       "admin",
		"Straße":      "strasse",
		"Иван Петров": "ив\u0061н \u03c0e\u0442\u0070\u006fв",
		"Ｆｕｌｌ　Width":  "full width",
		"a  b ":       "a b",
		"Who?!":       "who\u0294\u01c3",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// Sanitize gives what phpBB's tables hold and its own check accepts: no
// control, format or astral characters, no double or edge spaces, at most
// 255 characters; sanitising again changes nothing; Clean of it has no
// control characters.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"Bob O'Brien", "Иван\u200b Петров", "a\tb\x00c", "😀", "  x  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		if Sanitize(out) != out {
			t.Errorf("not stable: %q -> %q -> %q", in, out, Sanitize(out))
		}
		if len([]rune(out)) > maxNameRunes || strings.Contains(out, "  ") || strings.TrimSpace(out) != out {
			t.Errorf("Sanitize(%q) = %q", in, out)
		}
		for _, r := range out + Clean(out) {
			if r < 0x20 || r == 0x7f || r > 0xFFFF && strings.ContainsRune(out, r) {
				t.Errorf("Sanitize(%q) = %q keeps %U", in, out, r)
			}
		}
	})
}
