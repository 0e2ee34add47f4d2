package i18n

import (
	"slices"

	"golang.org/x/text/language"
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
// Match gives it to a browser asking for en-XA, and its localizer gives
// each English message between PseudoOpen and PseudoClose (an id no
// language has stays bare, unmarked). Only tests call it, through the
// option of internal/app that builds the web server with it: a production
// site never offers the pseudo-language.
func (c *Catalogue) WithPseudo() *Catalogue {
	pseudo := &Localizer{tag: PseudoTag, entries: c.english.entries, marked: true}
	tags := append(slices.Clone(c.tags), PseudoTag)
	supported := make([]language.Tag, len(tags))
	for i, t := range tags {
		supported[i] = language.MustParse(t)
	}
	p := &Catalogue{
		languages:  append(slices.Clone(c.languages), Language{Tag: PseudoTag, Name: PseudoOpen + "Pseudo" + PseudoClose}),
		localizers: map[string]*Localizer{PseudoTag: pseudo},
		english:    c.english,
		own:        map[string]map[string]bool{PseudoTag: c.own[Source]},
		fields:     c.fields,
		matcher:    language.NewMatcher(supported),
		tags:       tags,
		matched:    matchCache{m: make(map[string]string)},
	}
	for tag, l := range c.localizers {
		p.localizers[tag] = l
	}
	for tag, own := range c.own {
		p.own[tag] = own
	}
	return p
}
