package smf

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxMemberName is SMF's limit on login names: its member_name column
// holds 80 characters, and its login cuts longer names.
const maxMemberName = 80

// maxRealName is SMF's limit on display names (its profile refuses a
// longer real_name).
const maxRealName = 60

// clean is NFC without control or format characters, spaces made one,
// trimmed, nothing outside the Basic Multilingual Plane kept out of
// caution for forums whose tables are still utf8mb3.
func clean(name string, most int) string {
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
	if utf8.RuneCountInString(name) > most {
		name = strings.TrimSpace(string([]rune(name)[:most]))
	}
	return name
}

// Sanitize makes a formatted name an SMF display name (real_name).
func Sanitize(name string) string { return clean(name, maxRealName) }

// MemberName makes a name an SMF login name: SMF's login refuses the
// characters < > & " ' = \ in it, which become "_" (an apostrophe in a
// character's name too, as Alliance Auth does); case, spaces and
// non-Latin letters stay (SMF compares login names without case).
func MemberName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>&"'=\`, r) {
			return '_'
		}
		return r
	}, name)
	return clean(name, maxMemberName)
}

// escape stores a display name as SMF does: HTML special characters as
// entities (PHP's htmlspecialchars with ENT_QUOTES).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "'", "&#039;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// unescape reads a stored display name back.
func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&quot;", `"`, "&#039;", "'", "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}
