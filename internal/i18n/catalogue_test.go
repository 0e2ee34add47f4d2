package i18n

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// testEN is a small source catalogue for tests of load.
const testEN = `
[language.name]
description = "name"
other = "English"

[form.save]
description = "save button"
other = "Save"

[form.cancel]
description = "cancel button"
other = "Cancel"

[test.characters]
description = "plural"
one = "{{.Count}} character"
other = "{{.Count}} characters"

[test.greeting]
description = "data"
other = "Hello {{.Name}}"
`

// testDE translates testEN but for form.cancel and test.greeting.
const testDE = `
[language.name]
other = "Deutsch"

[form.save]
other = "Speichern"

[test.characters]
one = "{{.Count}} Charakter"
other = "{{.Count}} Charaktere"
`

// loadTest builds a catalogue from files, locales/<name> to content, and
// from more catalogues if given.
func loadTest(t *testing.T, files map[string]string, more ...fs.FS) *Catalogue {
	t.Helper()
	c, err := load(append([]fs.FS{mapFS(files)}, more...))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys["locales/"+name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

// testdata is i18n's own catalogue with the test messages of testdata
// (test.characters, test.greeting) in every language, as a package's
// catalogue would add them.
func testdata(t testing.TB) *Catalogue {
	t.Helper()
	c, err := Load(os.DirFS("testdata"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadOwn(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []Language{{"en", "English"}, {"de", "Deutsch"}, {"es", "Español"}, {"zh-Hans", "简体中文"}}
	if got := c.Languages(); !slices.Equal(got, want) {
		t.Errorf("Languages() = %v, want %v", got, want)
	}
	for _, lang := range c.Languages() {
		l := c.Localizer(lang.Tag)
		if l.Tag() != lang.Tag {
			t.Errorf("Localizer(%q).Tag() = %q", lang.Tag, l.Tag())
		}
		// language.name must be the file's own, never English's fallback.
		if slices.Contains(c.Missing(lang.Tag), nameID) {
			t.Errorf("%s lacks %s", lang.Tag, nameID)
		}
		if got := l.T(nameID); got != lang.Name {
			t.Errorf("%s: T(%q) = %q, want %q", lang.Tag, nameID, got, lang.Name)
		}
	}
	// i18n's own catalogue has the languages' names, nothing more: the
	// messages are the packages'.
	if got := len(c.own[Source]); got != 1 {
		t.Errorf("i18n's own catalogue has %d messages, want %s alone", got, nameID)
	}
}

// TestLoadMerges shows that the catalogues given are merged, each
// language's files together, and that i18n's own gives the languages.
func TestLoadMerges(t *testing.T) {
	groups := mapFS(map[string]string{"en.toml": `
[groups.title]
description = "x"
other = "Groups"`, "de.toml": `
[groups.title]
other = "Gruppen"`})
	web := mapFS(map[string]string{"en.toml": `
[web.save]
description = "x"
other = "Save"`, "es.toml": `
[web.save]
other = "Guardar"`})
	c, err := Load(groups, web)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tc := range []struct{ tag, id, want string }{
		{"de", "groups.title", "Gruppen"}, {"de", "web.save", "Save"},
		{"es", "groups.title", "Groups"}, {"es", "web.save", "Guardar"},
		{"zh-Hans", nameID, "简体中文"},
	} {
		if got := c.Localizer(tc.tag).T(tc.id); got != tc.want {
			t.Errorf("%s: T(%q) = %q, want %q", tc.tag, tc.id, got, tc.want)
		}
	}
	if got, want := c.Missing("de"), []string{"web.save"}; !slices.Equal(got, want) {
		t.Errorf(`Missing("de") = %v, want %v`, got, want)
	}
}

// TestLoadRefuses shows that each kind of mistake in a catalogue stops
// load, with a message naming the catalogue, the file and the message.
func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name        string
		files, more map[string]string // a second catalogue if more is set
		want        string
	}{
		{"no English", map[string]string{"de.toml": testDE}, nil, "no en.toml"},
		{"unknown id", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[form.svae]
other = "Speichern"`}, nil, `catalogue 0: locales/de.toml: message "form.svae": not in en.toml`},
		{"English without description", map[string]string{"en.toml": testEN + `
[form.close]
other = "Log out"`}, nil, `en.toml: message "form.close": no description`},
		{"misspelt key", map[string]string{"en.toml": testEN + `
[form.close]
otehr = "Log out"`}, nil, `en.toml: message "form.close.otehr": no description`},
		{"no other form", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[form.cancel]
one = "Abbrechen"`}, nil, `de.toml: message "form.cancel": no "other" form`},
		{"no language name", map[string]string{"en.toml": testEN, "es.toml": `
[form.save]
other = "Guardar"`}, nil, `es: no message "language.name"`},
		{"not TOML", map[string]string{"en.toml": testEN, "de.toml": `[form.save`}, nil, "de.toml: toml: line 1"},
		{"id also a prefix", map[string]string{"en.toml": testEN + `
[form.save.title]
description = "x"
other = "y"`}, nil, "en.toml: reserved keys [description other] mixed with unreserved keys [title]"},
		{"template syntax", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[test.greeting]
other = "Hallo {{.Name}"`}, nil, `de.toml: message "test.greeting": template:`},
		{"unknown field", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[test.greeting]
other = "Hallo {{.Nmae}}"`}, nil, `de.toml: message "test.greeting": uses {{.Nmae}}`},
		{"not a tag", map[string]string{"en.toml": testEN, "german.toml": testDE}, nil, "german.toml: the file name is not a language tag"},
		{"not canonical", map[string]string{"en.toml": testEN, "zh-hans.toml": `
[language.name]
other = "简体中文"`}, nil, "zh-hans.toml: name the file zh-Hans.toml"},
		{"an id in two catalogues", map[string]string{"en.toml": testEN}, map[string]string{"en.toml": `
[form.save]
description = "save button"
other = "Save"`}, `catalogue 1: locales/en.toml: message "form.save" is also in catalogue 0`},
		{"a translation away from its English", map[string]string{"en.toml": testEN}, map[string]string{"de.toml": `
[form.cancel]
other = "Abbrechen"`}, `catalogue 1: locales/de.toml: message "form.cancel": its English is in catalogue 0`},
		{"a translation without English", map[string]string{"en.toml": testEN}, map[string]string{"de.toml": `
[groups.title]
other = "Gruppen"`}, `catalogue 1: locales/de.toml: message "groups.title": not in en.toml`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			catalogues := []fs.FS{mapFS(tc.files)}
			if tc.more != nil {
				catalogues = append(catalogues, mapFS(tc.more))
			}
			_, err := load(catalogues)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := load([]fs.FS{mapFS(map[string]string{"en.toml": testEN, "de.toml": testDE + `
[form.svae]
other = "Speichern"`, "es.toml": `
[form.save]
other = "Guardar"`})})
	for _, want := range []string{"form.svae", `es: no message "language.name"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("load: %v, want it to mention %q", err, want)
		}
	}
}

func TestHasAndMissing(t *testing.T) {
	c := loadTest(t, map[string]string{"en.toml": testEN, "de.toml": testDE})
	for id, want := range map[string]bool{"form.save": true, "form.cancel": true, "form.svae": false, "": false} {
		if got := c.Has(id); got != want {
			t.Errorf("Has(%q) = %v, want %v", id, got, want)
		}
	}
	if got, want := c.Missing("de"), []string{"form.cancel", "test.greeting"}; !slices.Equal(got, want) {
		t.Errorf(`Missing("de") = %v, want %v`, got, want)
	}
	if got := c.Missing("en"); len(got) != 0 {
		t.Errorf(`Missing("en") = %v, want none`, got)
	}
	if got := c.Missing("fr"); len(got) != 5 {
		t.Errorf(`Missing("fr") = %v, want all five ids`, got)
	}
}

func TestLanguagesIsACopy(t *testing.T) {
	c := loadTest(t, map[string]string{"en.toml": testEN, "de.toml": testDE})
	c.Languages()[0].Name = "changed"
	if got := c.Languages()[0].Name; got != "English" {
		t.Errorf("Languages()[0].Name = %q after changing a returned slice", got)
	}
}

func TestLanguagesOrder(t *testing.T) {
	name := func(n string) string { return "[language.name]\nother = \"" + n + "\"\n" }
	c := loadTest(t, map[string]string{
		"zh.toml": name("中文"), "zh-Hans.toml": name("简体中文"), "de.toml": name("Deutsch"),
		"en.toml": testEN, "ast.toml": name("Asturianu"),
	})
	var got []string
	for _, l := range c.Languages() {
		got = append(got, l.Tag)
	}
	if want := []string{"en", "ast", "de", "zh", "zh-Hans"}; !slices.Equal(got, want) {
		t.Errorf("Languages() tags = %v, want %v", got, want)
	}
}
