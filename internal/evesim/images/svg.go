package images

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"
)

// render draws a picture as an SVG of size×size pixels: the coloured square
// with its text centred in bold white, shrunk to fit when long (a ticker of
// five letters, a type id of six digits). Every text is escaped.
func render(p picture, size int) []byte {
	n := max(1, utf8.RuneCountInString(p.text))
	// A bold sans-serif glyph is about 0.62em wide; keep the text within
	// 85% of the square, and no taller than 45% of it.
	fontSize := float64(size) * min(0.45, 0.85/(0.62*float64(n)))
	half := size / 2
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		size, size, size, size, escape(p.title))
	fmt.Fprintf(&b, `<title>%s</title>`, escape(p.title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="%s"/>`, size, size, p.fill)
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#ffffff" font-family="Arial, Helvetica, sans-serif" font-weight="bold" `+
		`font-size="%.1f" text-anchor="middle" dominant-baseline="central">%s</text>`, half, half, fontSize, escape(p.text))
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// escape makes text safe in XML character data and in double- or
// single-quoted attributes (& < > " ' and control characters).
func escape(s string) string {
	var sb strings.Builder
	// EscapeText writes to a strings.Builder, which never fails.
	_ = xml.EscapeText(&sb, []byte(s))
	return sb.String()
}
