package i18n

import (
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// Localizer gives the messages of one language. Get it from
// Catalogue.Localizer; it is safe for concurrent use.
type Localizer struct {
	tag     string
	entries map[string]entry // every English id, resolved to this language or to English
	// marked is set for the pseudo-language (WithPseudo) alone: each
	// message T finds is given between PseudoOpen and PseudoClose.
	marked bool
}

// entry is one message as T serves it.
type entry struct {
	// plain is set when the message is one fixed text, which T returns
	// without running go-i18n: most messages are, and T runs dozens of
	// times a page.
	plain bool
	text  string

	// loc is the go-i18n localizer of the language the message was taken
	// from (English when this language lacks it), so that its plural rules
	// apply and go-i18n finds it without falling back itself.
	loc *goi18n.Localizer
}

func newEntry(m *goi18n.Message, loc *goi18n.Localizer) entry {
	left := m.LeftDelim
	if left == "" {
		left = "{{"
	}
	plain := m.Zero == "" && m.One == "" && m.Two == "" && m.Few == "" && m.Many == "" &&
		!strings.Contains(m.Other, left)
	return entry{plain: plain, text: m.Other, loc: loc}
}

// Tag returns the tag of the localizer's language, as in Catalogue.Languages.
func (l *Localizer) Tag() string {
	return l.tag
}

// T returns the message id in the localizer's language, or in English when
// the language lacks it. args are the data of the message's template as
// key/value pairs, T("test.greeting", "Name", name); the value of "Count",
// an integer or a number in a string, also chooses the plural form.
//
// T returns the id itself, so that the page still renders, when no
// language has the message, when args are not pairs with string keys, or
// when the message cannot be formatted (a Count that is not a number).
// Catalogue.Has lets tests catch the first case before users do.
func (l *Localizer) T(id string, args ...any) string {
	s := l.t(id, args...)
	if l.marked && s != id {
		return PseudoOpen + s + PseudoClose
	}
	return s
}

// t is T without the pseudo-language's marks.
func (l *Localizer) t(id string, args ...any) string {
	e, ok := l.entries[id]
	if !ok || len(args)%2 != 0 {
		return id
	}
	for i := 0; i < len(args); i += 2 {
		if _, ok := args[i].(string); !ok {
			return id
		}
	}
	if e.plain {
		return e.text
	}

	data := make(map[string]any, len(args)/2)
	var count any
	for i := 0; i < len(args); i += 2 {
		k := args[i].(string)
		data[k] = args[i+1]
		if v, ok := args[i+1].(string); ok {
			// Arguments are names, often players' own: none may reorder
			// the message around it.
			data[k] = IsolateBidi(v)
		}
		if k == "Count" {
			count = args[i+1]
		}
	}
	s, err := e.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		// go-i18n also reports an error with a usable text: a translation
		// that lacks the plural form asked for gets its "other" form.
		return id
	}
	return s
}
