package teamspeak3

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/i18n"
)

// Every message id this package's code names is in its catalogue, in
// every language, and formats there; the catalogue has no id the code
// does not name.
func TestMessages(t *testing.T) {
	c, err := i18n.Load(Locales)
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`"(services\.teamspeak3\.[a-z0-9_.]+)"`)
	used := map[string]bool{}
	files, _ := filepath.Glob("*.go")
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
	if len(used) < 30 {
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
