package calendar

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/feature"
)

// The feed is written by hand rather than with a library: the part of
// RFC 5545 it needs (a VCALENDAR of VEVENTs with text and UTC times) is
// small, and its three rules (CRLF line ends, lines folded at 75 octets
// without splitting a character, TEXT values escaped) are tested against
// an independent parser (gocal).

// icalTime is the form of a UTC DATE-TIME (RFC 5545 3.3.5, form #2).
const icalTime = "20060102T150405Z"

// writeFeed writes the events as one VCALENDAR.
func writeFeed(b *strings.Builder, name string, events []feature.Event, baseURL string, now time.Time) {
	line(b, "BEGIN:VCALENDAR")
	line(b, "VERSION:2.0")
	line(b, "PRODID:-//Keepstar//Calendar//EN")
	line(b, "CALSCALE:GREGORIAN")
	line(b, "METHOD:PUBLISH")
	line(b, "X-WR-CALNAME:"+escape(name))
	for _, e := range events {
		line(b, "BEGIN:VEVENT")
		line(b, "UID:"+escape(e.UID))
		stamp := e.Updated
		if stamp.IsZero() {
			stamp = now
		}
		line(b, "DTSTAMP:"+stamp.UTC().Format(icalTime))
		line(b, "DTSTART:"+e.Start.UTC().Format(icalTime))
		end := e.End
		if end.Before(e.Start) {
			end = e.Start
		}
		line(b, "DTEND:"+end.UTC().Format(icalTime))
		line(b, "SUMMARY:"+escape(e.Summary))
		if e.Location != "" {
			line(b, "LOCATION:"+escape(e.Location))
		}
		if e.Description != "" {
			line(b, "DESCRIPTION:"+escape(e.Description))
		}
		if e.Path != "" {
			line(b, "URL:"+strings.TrimRight(baseURL, "/")+e.Path)
		}
		line(b, "END:VEVENT")
	}
	line(b, "END:VCALENDAR")
}

// escape makes text a TEXT value (RFC 5545 3.3.11): backslash, semicolon
// and comma escaped, line breaks as \n; other control characters, which
// the value may not hold, dropped.
func escape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// line writes a content line folded at 75 octets (RFC 5545 3.1): each
// continuation starts with a space, and no character is cut in two.
func line(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
