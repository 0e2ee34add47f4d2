// Package i18n is Keepstar's translation catalogue: every text a user sees,
// in every language Keepstar speaks, and the choice of language for a page.
//
// Each package keeps the messages it uses beside its templates, in
// locales/<tag>.toml, one file per language, embedded and exported as its
// Locales (//go:embed locales/*.toml); internal/app gives the list of them
// to Load, which merges them. A message id starts with the name of the
// package that owns it: the package whose templates or code use it, or the
// lowest one its users share, typically web for the layout and shared words
// (web.save, web.cancel). The files are in go-i18n's TOML format, one table
// per message, named by its id:
//
//	[groups.nav.groups]
//	description = "Menu entry of the groups page"
//	other = "Groups"
//
//	[test.characters]
//	description = "Test of plural forms: a number of EVE characters"
//	one = "{{.Count}} character"
//	other = "{{.Count}} characters"
//
// English is the source language: a package's en.toml has every message of
// the package; its other files (de.toml, es.toml, zh-Hans.toml) translate
// some or all of them.
//
// Adding a message: add its table to the package's en.toml, with a
// description that tells the translators where it appears, and use it in a
// template as {{$.T "groups.nav.groups"}}, or with data as
// {{$.T "test.greeting" "Name" .Name}}. A "Count" value chooses the plural
// form; give "one" and "other" in English, and translators give the forms
// their language has (CLDR: German and Spanish one/other, Chinese other
// only). An id cannot also be the start of another id (web.save and
// web.save.title), which TOML cannot express. Messages are plain text:
// html/template escapes them like any other string. A package's first
// messages: add locales/en.toml, embed it as Locales, and add the package's
// Locales to the list in internal/app.
//
// Adding a language: add locales/TAG.toml to this package, named by the
// language's canonical BCP 47 tag, with language.name, the language's name
// in itself ("Deutsch"); then the packages' TAG.toml files, as they are
// translated. Load finds the files, Languages lists the language, Match
// offers it to browsers that ask for it.
//
// Load refuses a catalogue with any problem and reports them all: a file
// that does not parse, a message id in two packages' catalogues, a message
// without an "other" form, an English message without a description, a
// translated id that the en.toml beside it does not have (a typo), a template
// that does not parse or uses a field the English message does not, a
// language without language.name. The tests of internal/app check that every
// id the code uses is in the catalogue and every message formats in every
// language; the test messages (test.characters, test.greeting) live in
// testdata, not in the binary.
//
// Choosing the language (Catalogue.Match): the user's stored choice, if it
// is still supported; else the best match for the browser's Accept-Language
// header; else English. Fallback (Localizer.T): a message the language lacks
// is shown in English; a message English lacks too is shown as its id, so
// the page still renders while tests using Catalogue.Has fail.
// Catalogue.Missing lists what each language still lacks.
//
// The pseudo-language: a test must find every text a page shows without
// taking it from the catalogue, a word typed into a template or a Go
// string, in whichever language the page was meant for. Catalogue.WithPseudo
// gives a copy of the catalogue that also speaks en-XA (the region CLDR
// keeps for pseudo-locales): English, with each message T gives enclosed in
// PseudoOpen and PseudoClose, two characters of Unicode's private use area
// (its arguments, names, inside). It is test-only: the only way to it is
// internal/app's Options.PseudoLanguage, which sitetest.Options passes on
// and keepstar never sets, so no production site offers it; a browser
// selects it with Accept-Language: en-XA. The test (internal/app,
// TestNoTextOutsideTheCatalogue) renders every page the access matrix
// visits as a superuser and logged out, parses the HTML, and fails on any
// text or read attribute (title, placeholder, aria-label, alt, a button's
// value) with a word that is neither inside the marks nor data: a word
// stored in the database, a number, an id, a URL, a brand. Text inside
// code, pre, kbd and samp is technical; an element with translate="no", or
// with a lang other than the page's (a language's name in itself, the API
// reference in English), says it is not the catalogue's.
package i18n
