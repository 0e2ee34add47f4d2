// Package i18n is Keepstar's translation catalogue: every text a user sees,
// in every language Keepstar speaks, and the choice of language for a page.
//
// English is the source language. locales/en.toml has every message; the
// other files (de.toml, es.toml, zh-Hans.toml) translate some or all of
// them and are embedded in the binary with it. The files are in go-i18n's
// TOML format, one table per message, named by its id in area.name style:
//
//	[nav.dashboard]
//	description = "Menu entry of the dashboard page"
//	other = "Dashboard"
//
//	[test.characters]
//	description = "Test of plural forms: a number of EVE characters"
//	one = "{{.Count}} character"
//	other = "{{.Count}} characters"
//
// Adding a message: add its table to en.toml, with a description that tells
// the translators where it appears, and use it in a template as
// {{$.T "nav.dashboard"}}, or with data as {{$.T "test.greeting" "Name" .Name}}.
// A "Count" value chooses the plural form; give "one" and "other" in
// English, and translators give the forms their language has (CLDR: German
// and Spanish one/other, Chinese other only). An id cannot also be the start
// of another id (nav.dashboard and nav.dashboard.title), which TOML cannot
// express. Messages are plain text: html/template escapes them like any other
// string.
//
// Adding a language: add locales/TAG.toml, named by the language's canonical
// BCP 47 tag, with at least language.name, the language's name in itself
// ("Deutsch"). Nothing else changes: Load finds the file, Languages lists it,
// Match offers it to browsers that ask for it.
//
// Load refuses a catalogue with any problem and reports them all: a file
// that does not parse, a message without an "other" form, an English message
// without a description, a translated id that en.toml does not have (a
// typo), a template that does not parse or uses a field the English message
// does not, a file without language.name.
//
// Choosing the language (Catalogue.Match): the user's stored choice, if it
// is still supported; else the best match for the browser's Accept-Language
// header; else English. Fallback (Localizer.T): a message the language lacks
// is shown in English; a message English lacks too is shown as its id, so
// the page still renders while tests using Catalogue.Has fail.
// Catalogue.Missing lists what each language still lacks.
package i18n
