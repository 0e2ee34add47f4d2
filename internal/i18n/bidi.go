package i18n

import "strings"

// Unicode's explicit directional formatting characters (UAX #9): they
// reorder the text after them, up to their closing character or the end of
// the paragraph. A player-chosen EVE name carrying them (RIGHT-TO-LEFT
// OVERRIDE, say) would otherwise reorder whatever a page shows after the
// name: an account id, a message's words, a neighbouring name.
const (
	lre = '\u202A' // left-to-right embedding
	rle = '\u202B' // right-to-left embedding
	pdf = '\u202C' // pop directional formatting: closes the four above
	lro = '\u202D' // left-to-right override
	rlo = '\u202E' // right-to-left override
	lri = '\u2066' // left-to-right isolate
	rli = '\u2067' // right-to-left isolate
	fsi = '\u2068' // first strong isolate
	pdi = '\u2069' // pop directional isolate: closes the three above
)

// HasBidiControl reports whether s holds an explicit directional formatting
// character or a directional mark (LRM, RLM, ALM).
func HasBidiControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r >= lre && r <= rlo || r >= lri && r <= pdi || r == '\u200E' || r == '\u200F' || r == '\u061C'
	})
}

// BalanceBidi closes what s opens and drops what it closes without having
// opened, so that its directional formatting ends with it and cannot close
// an isolate it is put in.
func BalanceBidi(s string) string {
	if !HasBidiControl(s) {
		return s
	}
	var b strings.Builder
	var open []rune // the openers in force, innermost last
	isolates := 0
	for _, r := range s {
		switch r {
		case lre, rle, lro, rlo, lri, rli, fsi:
			open = append(open, r)
			if r >= lri {
				isolates++
			}
		case pdf:
			// Closes the innermost embedding or override, never across
			// an isolate.
			if len(open) == 0 || open[len(open)-1] >= lri {
				continue
			}
			open = open[:len(open)-1]
		case pdi:
			// Closes the innermost isolate and whatever was opened in it.
			if isolates == 0 {
				continue
			}
			for open[len(open)-1] < lri {
				open = open[:len(open)-1]
			}
			open = open[:len(open)-1]
			isolates--
		}
		b.WriteRune(r)
	}
	for i := len(open) - 1; i >= 0; i-- {
		if open[i] >= lri {
			b.WriteRune(pdi)
		} else {
			b.WriteRune(pdf)
		}
	}
	return b.String()
}

// IsolateBidi gives s unchanged when it holds no directional formatting;
// else balanced and wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
// ISOLATE, so that it neither reorders the text around it nor is reordered
// by it, wherever it is shown (a message, an attribute, plain text).
func IsolateBidi(s string) string {
	if !HasBidiControl(s) {
		return s
	}
	return string(fsi) + BalanceBidi(s) + string(pdi)
}
