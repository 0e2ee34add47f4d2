package phpbb3

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// maxNameRunes bounds usernames by phpBB's column (varchar(255)). phpBB's
// max_name_chars (20 by default) bounds only the names members choose
// themselves at registration or in the UCP; EVE names reach 37
// characters, and phpBB shows and logs in with longer names it did not
// validate.
const maxNameRunes = 255

// Sanitize makes a formatted name a phpBB username: NFC, no control or
// zero-width characters, none outside the Basic Multilingual Plane
// (phpBB refuses them, INVALID_EMOJIS, as its utf8 tables cannot hold
// them), runs of spaces made one, no spaces at either end, at most
// maxNameRunes characters. Apostrophes, spaces and non-Latin letters stay:
// phpBB's default (USERNAME_CHARS_ANY) allows them.
func Sanitize(name string) string {
	name = norm.NFC.String(name)
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r > 0xFFFF, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	name = b.String()
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = strings.TrimSpace(string([]rune(name)[:maxNameRunes]))
	}
	return name
}

// confusables are the entries of phpBB's homograph table (Unicode's
// confusables, as phpBB's utf8_clean_string applies them after case
// folding) for ASCII punctuation and for the Greek and Cyrillic lower-case
// letters: those a character, corporation or alliance name holds. phpBB
// maps many more (mathematical alphabets, full-width forms…), which NFKC
// already folds for the most part; see docs/services-forums.md.
var confusables = map[rune]string{
	'\'': "\u02b9", '"': "\u02b9\u02b9", '?': "\u0294", '!': "\u01c3", '|': "\u4e28",
	'α': "a", 'ε': "\u025b", 'ι': "i", 'η': "n\u0329", 'ο': "o", 'ρ': "p", 'κ': "\u0138", 'υ': "u", 'ν': "v",
	'а': "a", 'б': "6", 'с': "c", 'е': "e", 'є': "\u025b", 'і': "i", 'ј': "j", 'о': "o", 'р': "p", 'к': "\u0138",
	'г': "r", 'ѕ': "s", 'х': "x", 'у': "y", 'ь': "\u0185", 'ы': "\u0185i", 'ъ': "\u02c9b", 'п': "\u03c0",
	'ф': "\u03c6", 'ћ': "h\u0335",
}

// Clean gives a username's username_clean as phpBB's utf8_clean_string
// does: case folded and NFKC normalised, homographs mapped, control and
// zero-width characters dropped, runs of spaces made one, trimmed. phpBB
// finds users by it at login, so a member logs in with the name shown.
func Clean(name string) string {
	name = norm.NFKC.String(cases.Fold().String(name))
	var b strings.Builder
	for _, r := range name {
		if s, ok := confusables[r]; ok {
			b.WriteString(s)
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 ||
			r == 0xfeff || r == 0xad {
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return strings.TrimSpace(s)
}
