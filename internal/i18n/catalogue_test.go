package i18n

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// testEN is a small source catalogue for tests of LoadFS.
const testEN = `
[language.name]
description = "name"
other = "English"

[common.save]
description = "save button"
other = "Save"

[common.cancel]
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

// testDE translates testEN but for common.cancel and test.greeting.
const testDE = `
[language.name]
other = "Deutsch"

[common.save]
other = "Speichern"

[test.characters]
one = "{{.Count}} Charakter"
other = "{{.Count}} Charaktere"
`

// loadTest builds a catalogue from files, name to content.
func loadTest(t *testing.T, files map[string]string) *Catalogue {
	t.Helper()
	c, err := LoadFS(mapFS(files))
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	return c
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func TestLoadEmbedded(t *testing.T) {
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
		// Every message of every language formats, given a value for each
		// field of its English message.
		for id := range c.own[lang.Tag] {
			args := []any{}
			for _, f := range c.Fields(id) {
				v := any("x")
				if f == "Count" {
					v = 2
				}
				args = append(args, f, v)
			}
			if got := l.T(id, args...); got == id || strings.Contains(got, "<no value>") {
				t.Errorf("%s: T(%q) = %q", lang.Tag, id, got)
			}
		}
	}
}

// TestLoadFSRefuses shows that each kind of mistake in a catalogue stops
// Load, with a message naming the file and the message.
func TestLoadFSRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no English", map[string]string{"de.toml": testDE}, "no en.toml"},
		{"unknown id", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[common.svae]
other = "Speichern"`}, `de.toml: message "common.svae": not in en.toml`},
		{"English without description", map[string]string{"en.toml": testEN + `
[nav.logout]
other = "Log out"`}, `en.toml: message "nav.logout": no description`},
		{"misspelt key", map[string]string{"en.toml": testEN + `
[nav.logout]
otehr = "Log out"`}, `en.toml: message "nav.logout.otehr": no description`},
		{"no other form", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[common.cancel]
one = "Abbrechen"`}, `de.toml: message "common.cancel": no "other" form`},
		{"no language name", map[string]string{"en.toml": testEN, "es.toml": `
[common.save]
other = "Guardar"`}, `es.toml: no message "language.name"`},
		{"not TOML", map[string]string{"en.toml": testEN, "de.toml": `[common.save`}, "de.toml: toml: line 1"},
		{"id also a prefix", map[string]string{"en.toml": testEN + `
[common.save.title]
description = "x"
other = "y"`}, "en.toml: reserved keys [description other] mixed with unreserved keys [title]"},
		{"template syntax", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[test.greeting]
other = "Hallo {{.Name}"`}, `de.toml: message "test.greeting": template:`},
		{"unknown field", map[string]string{"en.toml": testEN, "de.toml": testDE + `
[test.greeting]
other = "Hallo {{.Nmae}}"`}, `de.toml: message "test.greeting": uses {{.Nmae}}`},
		{"not a tag", map[string]string{"en.toml": testEN, "german.toml": testDE}, "german.toml: the file name is not a language tag"},
		{"not canonical", map[string]string{"en.toml": testEN, "zh-hans.toml": `
[language.name]
other = "简体中文"`}, "zh-hans.toml: name the file zh-Hans.toml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFS(mapFS(tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadFS: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestLoadFSReportsEveryProblem(t *testing.T) {
	_, err := LoadFS(mapFS(map[string]string{"en.toml": testEN, "de.toml": testDE + `
[common.svae]
other = "Speichern"`, "es.toml": `
[common.save]
other = "Guardar"`}))
	for _, want := range []string{"common.svae", "es.toml"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadFS: %v, want it to mention %q", err, want)
		}
	}
}

func TestHasAndMissing(t *testing.T) {
	c := loadTest(t, map[string]string{"en.toml": testEN, "de.toml": testDE})
	for id, want := range map[string]bool{"common.save": true, "common.cancel": true, "common.svae": false, "": false} {
		if got := c.Has(id); got != want {
			t.Errorf("Has(%q) = %v, want %v", id, got, want)
		}
	}
	if got, want := c.Missing("de"), []string{"common.cancel", "test.greeting"}; !slices.Equal(got, want) {
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
