// Package i18ntest checks a package's own message catalogue, for the tests
// of packages that bring their messages (the services' connector types).
package i18ntest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/i18n"
)

// CheckCatalogue checks, from a package's directory (a test's working
// directory), that every message id with prefix its code names is in
// locales, in every language, translated and formatting there, and that
// locales/en.toml has no id the code does not name. min guards against a
// prefix that finds nothing. pages are globs of more files naming ids (a
// feature's templates, "templates/*.html"), read as the code is.
func CheckCatalogue(t *testing.T, locales fs.FS, prefix string, min int, pages ...string) {
	t.Helper()
	c, err := i18n.Load(locales)
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`"(` + regexp.QuoteMeta(prefix) + `[a-z0-9_.]+)"`)
	used := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, glob := range pages {
		more, err := filepath.Glob(glob)
		if err != nil || len(more) == 0 {
			t.Fatalf("no file matches %q (%v)", glob, err)
		}
		files = append(files, more...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ids.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < min {
		t.Fatalf("found only %d ids", len(used))
	}
	for id := range used {
		if !c.Has(id) {
			t.Errorf("%s is not in locales/en.toml", id)
		}
	}
	for _, l := range c.Languages() {
		if missing := c.Missing(l.Tag); len(missing) != 0 {
			t.Errorf("%s lacks %v", l.Tag, missing)
		}
		loc := c.Localizer(l.Tag)
		for id := range used {
			var args []any
			for _, f := range c.Fields(id) {
				args = append(args, f, "x")
			}
			if got := loc.T(id, args...); got == id || strings.Contains(got, "<no value>") {
				t.Errorf("%s: %s = %q", l.Tag, id, got)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("locales", "en.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tables := regexp.MustCompile(`(?m)^\[([a-z0-9_.]+)\]`).FindAllStringSubmatch(string(b), -1)
	if len(tables) != len(used) {
		t.Errorf("en.toml has %d messages, the code names %d", len(tables), len(used))
	}
	for _, m := range tables {
		if !used[m[1]] {
			t.Errorf("%s is in en.toml but the code never names it", m[1])
		}
	}
	en := c.Localizer(i18n.Source)
	for _, l := range c.Languages() {
		if l.Tag == i18n.Source {
			continue
		}
		for id := range used {
			if c.Localizer(l.Tag).T(id) == en.T(id) && len(c.Fields(id)) == 0 {
				t.Errorf("%s: %s is English", l.Tag, id)
			}
		}
	}
}
