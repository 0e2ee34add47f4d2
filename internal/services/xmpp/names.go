package xmpp

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLocalBytes bounds a login name: nodeprep allows 1023 bytes, clients
// and rosters show far fewer.
const maxLocalBytes = 256

// xep0106 is XEP-0106's table: the characters a JID's local part cannot
// hold, written as a backslash and two hex digits.
var xep0106 = map[rune]string{
	' ': `\20`, '"': `\22`, '&': `\26`, '\'': `\27`, '/': `\2f`, ':': `\3a`, '<': `\3c`, '>': `\3e`, '@': `\40`, '\\': `\5c`,
}

// Username makes a formatted name a JID's local part, as Alliance Auth
// does: spaces at either end trimmed, XEP-0106's characters escaped, and
// control characters, other spaces and the characters nodeprep forbids
// dropped. It is lower-cased, since the server folds case: what Keepstar
// records is what the server stores. Letters of every script stay.
func Username(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		piece, ok := xep0106[r]
		switch {
		case ok:
		case r == utf8.RuneError, unicode.IsControl(r), unicode.IsSpace(r), r == 0x7f, r == 0xfffe, r == 0xffff,
			unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r), unicode.Is(unicode.Cf, r):
			continue
		default:
			piece = string(r)
		}
		if b.Len()+len(piece) > maxLocalBytes {
			break
		}
		b.WriteString(piece)
	}
	return b.String()
}

// Unescape gives the name a XEP-0106 local part stands for, as clients
// show it.
func Unescape(local string) string {
	for r, esc := range xep0106 {
		if r != '\\' {
			local = strings.ReplaceAll(local, esc, string(r))
		}
	}
	return strings.ReplaceAll(local, `\5c`, `\`)
}

// GroupName makes a service group's name the one the server gets, by
// Alliance Auth's rule for Openfire (kept for both backends, so that a
// server moved from Alliance Auth keeps its groups): lower-case, only
// letters, digits, "_", "." and "-".
func GroupName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_' || r == '.' || r == '-' {
			return r
		}
		return -1
	}, strings.ToLower(name))
}

// Sanitize makes a formatted name fit: no control characters, no spaces
// at either end. The login name is made from it (Username).
func Sanitize(name string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
}
