package i18n

import (
	"fmt"
	"sync"
	"testing"
)

func TestT(t *testing.T) {
	embedded := testdata(t)
	// de lacks form.cancel and test.greeting: they fall back to English.
	small := loadTest(t, map[string]string{"en.toml": testEN, "de.toml": testDE})

	for _, tc := range []struct {
		c    *Catalogue
		tag  string
		id   string
		args []any
		want string
	}{
		{embedded, "en", "language.name", nil, "English"},
		{embedded, "de", "language.name", nil, "Deutsch"},
		{embedded, "es", "language.name", nil, "Español"},
		{embedded, "zh-Hans", "language.name", nil, "简体中文"},
		{embedded, "en", "test.greeting", []any{"Name", "Ann"}, "Hello Ann"},
		{embedded, "de", "test.greeting", []any{"Name", "Ann"}, "Hallo Ann"},
		{embedded, "zh-Hans", "test.greeting", []any{"Name", "Ann"}, "你好，Ann"},
		{embedded, "en", "test.characters", []any{"Count", 1}, "1 character"},
		{embedded, "en", "test.characters", []any{"Count", 2}, "2 characters"},
		{embedded, "en", "test.characters", []any{"Count", 0}, "0 characters"},
		{embedded, "en", "test.characters", []any{"Count", "1"}, "1 character"},
		{embedded, "en", "test.characters", []any{"Count", int64(21)}, "21 characters"},
		{embedded, "de", "test.characters", []any{"Count", 1}, "1 Charakter"},
		{embedded, "de", "test.characters", []any{"Count", 2}, "2 Charaktere"},
		{embedded, "es", "test.characters", []any{"Count", 1}, "1 personaje"},
		{embedded, "zh-Hans", "test.characters", []any{"Count", 1}, "1 个角色"},
		{embedded, "fr", "language.name", nil, "English"}, // unsupported tag: English
		{embedded, "", "language.name", nil, "English"},
		// Extra pairs are harmless: a plain message ignores them.
		{embedded, "de", "language.name", []any{"Name", "Ann"}, "Deutsch"},

		// Fallback to English for what German lacks.
		{small, "de", "form.save", nil, "Speichern"},
		{small, "de", "form.cancel", nil, "Cancel"},
		{small, "de", "test.greeting", []any{"Name", "Ann"}, "Hello Ann"},
		{small, "de", "test.characters", []any{"Count", 1}, "1 Charakter"},

		// Programming errors give the id, so the page still renders.
		{embedded, "de", "nav.nowhere", nil, "nav.nowhere"},
		{embedded, "de", "", nil, ""},
		{embedded, "en", "test.greeting", []any{"Name"}, "test.greeting"},
		{embedded, "en", "language.name", []any{"Name"}, "language.name"},
		{embedded, "en", "test.greeting", []any{1, "Ann"}, "test.greeting"},
		{embedded, "en", "test.characters", []any{"Count", "many"}, "test.characters"},
		{embedded, "en", "test.characters", []any{"Count", 1.5}, "test.characters"},
	} {
		t.Run(fmt.Sprintf("%s/%s%v", tc.tag, tc.id, tc.args), func(t *testing.T) {
			if got := tc.c.Localizer(tc.tag).T(tc.id, tc.args...); got != tc.want {
				t.Errorf("T(%q, %v) = %q, want %q", tc.id, tc.args, got, tc.want)
			}
		})
	}
}

func TestLocalizerTag(t *testing.T) {
	c := loadTest(t, map[string]string{"en.toml": testEN, "de.toml": testDE})
	for tag, want := range map[string]string{"de": "de", "en": "en", "fr": "en", "": "en", "DE": "en"} {
		if got := c.Localizer(tag).Tag(); got != want {
			t.Errorf("Localizer(%q).Tag() = %q, want %q", tag, got, want)
		}
	}
}

// TestConcurrent runs under -race: a Catalogue serves every request at once.
func TestConcurrent(t *testing.T) {
	c := testdata(t)
	headers := []string{"de-AT,de;q=0.9", "zh-CN", "es-419,es;q=0.9", "fr", "en-GB"}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				tag := c.Match("", fmt.Sprintf("%s,x%d;q=0.1", headers[(g+i)%len(headers)], i%7))
				l := c.Localizer(tag)
				if got := l.T("test.characters", "Count", i); got == "test.characters" {
					t.Errorf("%s: T(test.characters, %d) failed", tag, i)
					return
				}
				if got := l.T("language.name"); got == "language.name" {
					t.Errorf("%s: T(language.name) failed", tag)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkT(b *testing.B) {
	c := testdata(b)
	l := c.Localizer("de")
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.T("language.name")
		}
	})
	b.Run("args", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.T("test.greeting", "Name", "Ann")
		}
	})
	b.Run("plural", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.T("test.characters", "Count", 2)
		}
	})
}
