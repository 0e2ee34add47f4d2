package i18n

import (
	"maps"
	"slices"
)

// The pseudo-language: English with every message marked, for the test that
// finds texts a page shows without taking them from the catalogue. See
// doc.go, "The pseudo-language".
const (
	// PseudoTag is the pseudo-language's tag: en-XA, the region code that
	// CLDR reserves for pseudo-locales (Android and Chromium use it so).
	PseudoTag = "en-XA"
	// PseudoOpen and PseudoClose enclose each message the pseudo-language
	// gives, arguments included; characters of Unicode's private use area,
	// which no message and no EVE name holds, and which html/template
	// leaves as they are.
	PseudoOpen  = "\uE000"
	PseudoClose = "\uE001"
)

// WithPseudo returns a copy of c that also speaks the pseudo-language:
// Match gives it to a browser whose Accept-Language is exactly en-XA, never
// by likeness (an en-GB reader still gets English), and its localizer gives
// each English message between PseudoOpen and PseudoClose (an id no
// language has stays bare, unmarked). Only tests call it, through the
// option of internal/app that builds the web server with it: a production
// site never offers the pseudo-language.
func (c *Catalogue) WithPseudo() *Catalogue {
	p := &Catalogue{
		languages:  append(slices.Clone(c.languages), Language{Tag: PseudoTag, Name: PseudoOpen + "Pseudo" + PseudoClose}),
		localizers: maps.Clone(c.localizers),
		english:    c.english,
		own:        maps.Clone(c.own),
		fields:     c.fields,
		matcher:    c.matcher,
		tags:       c.tags,
		matched:    matchCache{m: make(map[string]string)},
		pseudo:     true,
	}
	p.localizers[PseudoTag] = &Localizer{tag: PseudoTag, entries: c.english.entries, marked: true}
	p.own[PseudoTag] = c.own[Source]
	return p
}
