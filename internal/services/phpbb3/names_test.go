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
