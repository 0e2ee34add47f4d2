package images

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

// Whatever a name holds, the drawn SVG is well-formed XML whose title gives
// the name back (invalid XML characters replaced; line ends are escaped, so
// the parser does not normalise them).
func FuzzRenderEscapes(f *testing.F) {
	for _, s := range []string{"Kari Toven", `a & b < c > d "e" 'f'`, "]]><script>alert(1)</script>", "\x00\x1b\ufffe", "line\r\nends\r", "Ünïcødé Náme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip()
		}
		body := render(picture{title: name, text: initials(name), fill: colour("character", 1)}, 64)
		var doc struct {
			Title string `xml:"title"`
			Text  string `xml:"text"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("name %q: not well-formed: %v\n%s", name, err, body)
		}
		want := strings.Map(func(r rune) rune {
			if !isXMLChar(r) {
				return utf8.RuneError
			}
			return r
		}, name)
		if doc.Title != want {
			t.Errorf("title %q, want %q", doc.Title, want)
		}
	})
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Kari Toven":          "KT",
		"kari mar toven solo": "KMT",
		"  ":                  "?",
		"Ólafur Ásgeir":       "ÓÁ",
		"Single":              "S",
	} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}
