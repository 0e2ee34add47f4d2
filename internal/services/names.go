package services

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Identity is what a name format is made of: the account's main character
// and its corporation and alliance.
type Identity struct {
	Username       string // the account's name (its main's, as Keepstar knows it)
	CharacterName  string
	CharacterID    int64
	CorpName       string
	CorpID         int64
	CorpTicker     string
	AllianceName   string
	AllianceID     int64
	AllianceTicker string
}

// Placeholders are the names a format may use: Alliance Auth's.
var Placeholders = []string{"character_name", "character_id", "corp_name", "corp_id", "corp_ticker", "alliance_name",
	"alliance_id", "alliance_ticker", "username", "alliance_or_corp_name", "alliance_or_corp_ticker"}

func (id Identity) value(name string) (string, bool) {
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	switch name {
	case "character_name":
		return id.CharacterName, true
	case "character_id":
		return num(id.CharacterID), true
	case "corp_name":
		return id.CorpName, true
	case "corp_id":
		return num(id.CorpID), true
	case "corp_ticker":
		return id.CorpTicker, true
	case "alliance_name":
		return id.AllianceName, true
	case "alliance_id":
		return num(id.AllianceID), true
	case "alliance_ticker":
		return id.AllianceTicker, true
	case "username":
		return id.Username, true
	case "alliance_or_corp_name":
		if id.AllianceID != 0 {
			return id.AllianceName, true
		}
		return id.CorpName, true
	case "alliance_or_corp_ticker":
		if id.AllianceID != 0 {
			return id.AllianceTicker, true
		}
		return id.CorpTicker, true
	}
	return "", false
}

// CheckFormat refuses a format Format could not apply: an unknown
// placeholder, an unclosed brace, a format spec other than a precision
// (".10", which cuts the value to ten characters).
func CheckFormat(format string) error {
	_, err := Format(format, Identity{})
	return err
}

// Format applies a name format as Alliance Auth does (Python's str.format
// over the placeholders): "{corp_ticker}" is replaced, "{{" and "}}" are
// braces, "{character_name:.10}" cuts the value to ten characters, and
// the result is trimmed. A missing alliance gives empty values.
func Format(format string, id Identity) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		switch {
		case c == '{' && strings.HasPrefix(format[i:], "{{"):
			b.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(format[i:], "}}"):
			b.WriteByte('}')
			i += 2
		case c == '}':
			return "", errors.New("a lone } (write }} for a brace)")
		case c == '{':
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				return "", errors.New("a { that is not closed")
			}
			field := format[i+1 : i+end]
			name, spec, hasSpec := strings.Cut(field, ":")
			v, ok := id.value(name)
			if !ok {
				return "", fmt.Errorf("unknown placeholder {%s}", name)
			}
			if hasSpec {
				digits, ok := strings.CutPrefix(spec, ".")
				n, err := strconv.Atoi(digits)
				if !ok || err != nil || n < 0 {
					return "", fmt.Errorf("format spec %q in {%s}: only a precision such as .10 is understood", spec, field)
				}
				if r := []rune(v); len(r) > n {
					v = string(r[:n])
				}
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return strings.TrimSpace(b.String()), nil
}
