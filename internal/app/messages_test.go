package app_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
)

// Message ids as the code writes them: in templates {{.T "id"}} and
// {{$.T "id"}}; in Go the first string argument of the translating calls
// and of a validator's Problems.Add, and the message fields of settings,
// menu entries and notices.
var (
	templateIDs = regexp.MustCompile(`\.T "([a-z0-9_.-]+)"`)
	// goLines are the Go lines that name message ids; on them, every
	// dotted string is one, but a setting's or login's Name.
	goLines   = regexp.MustCompile(`\.Fail\(|\.FailDetail\(|\.AddFlash\(|\.T\(|\.Add\(|i18n\.M\(|\.Render\(|Label:|Help:|Section:|TitleKey:|MessageKey:`)
	goStrings = regexp.MustCompile(`(Name: )?"([a-z_]+\.[a-z0-9_.-]+)"`)
	// Starts of ids completed at run time: {{.T (print "groups.kind." .Kind)}},
	// printf "operations.state.%s", "access.role." + name.
	templatePrefixes = regexp.MustCompile(`\(printf? "([a-z_]+\.[a-z0-9_.-]*)[%"]`)
	goPrefixes       = regexp.MustCompile(`"([a-z_]+\.[a-z0-9_.-]*[._-])" \+`)
)

// TestEveryMessageIDExists reads every template and Go file of the
// project and checks that each message id they use is in the English
// catalogue, and so is each id made from a list (access.role.<role>,
// accounts.removal.<reason>, ...). A page would otherwise show the bare id.
func TestEveryMessageIDExists(t *testing.T) {
	c, err := app.Catalogue(example.Locales, memoryservice.Locales, pings.Locales, tracking.Locales, evemail.Locales, watchlists.Locales, corpstats.Locales, fat.Locales, timers.Locales, fleetops.Locales, srp.Locales, hr.Locales)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	used := map[string]string{}     // id: where
	prefixes := map[string]string{} // start of ids: where
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "evesim") {
			return err
		}
		ext := filepath.Ext(path)
		if ext != ".html" && ext != ".go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if ext == ".html" {
				for _, m := range templateIDs.FindAllStringSubmatch(line, -1) {
					used[m[1]] = path
				}
				for _, m := range templatePrefixes.FindAllStringSubmatch(line, -1) {
					prefixes[m[1]] = path
				}
				continue
			}
			for _, m := range goPrefixes.FindAllStringSubmatch(line, -1) {
				prefixes[m[1]] = path
			}
			if !goLines.MatchString(line) {
				continue
			}
			for _, m := range goStrings.FindAllStringSubmatch(line, -1) {
				// A page's file name is no message, nor a prefix whose
				// ids are listed below.
				if m[1] == "" && !strings.HasSuffix(m[2], ".html") && !strings.HasSuffix(m[2], ".") {
					used[m[2]] = path
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 150 {
		t.Fatalf("found only %d message ids: the patterns no longer match the code", len(used))
	}
	// Each way of using an id is seen (a page title, a setting's label, an
	// error page, a flash, a template).
	for _, id := range []string{"accounts.dashboard.title", "web.settings.site.name", "signin.error.state", "signin.merged", "signin.home.login"} {
		if _, ok := used[id]; !ok {
			t.Errorf("%s not found in the code: the patterns no longer match it", id)
		}
	}
	// Ids built from lists.
	for _, r := range access.Roles {
		used["access.role."+r] = "access.Roles"
	}
	for _, r := range accounts.Reasons {
		used["accounts.removal."+string(r)] = "accounts.Reasons"
		if r != accounts.Moved && r != accounts.DeletedManually && !strings.HasPrefix(string(r), "moved") {
			used["accounts.notice.removed."+string(r)] = "accounts.remove"
		}
	}
	used["accounts.notice.moved."+string(accounts.MovedOwnerChanged)] = "accounts.move"
	for _, s := range []accounts.Status{accounts.Standard, accounts.Managed} {
		used["accounts.status."+string(s)] = "accounts.Status"
	}
	for _, code := range []string{"400", "401", "403", "404", "409", "422", "500", "502", "503"} {
		used["web.error.title."+code] = "web.FailDetail"
	}
	var missing []string
	for id, where := range used {
		if !c.Has(id) {
			missing = append(missing, id+" ("+where+")")
		}
	}
	// Each start of ids built at run time starts some: a renamed message
	// family whose code was left behind would not. The tests of the
	// packages that build them check each id.
	if len(prefixes) < 10 {
		t.Errorf("found only %d starts of ids built at run time: the patterns no longer match the code", len(prefixes))
	}
	var ids []string
	for _, f := range catalogueFiles(t) {
		if f.tag == i18n.Source {
			ids = append(ids, f.ids...)
		}
	}
	for p, where := range prefixes {
		if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, p) }) {
			missing = append(missing, p+"… ("+where+")")
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("message %s is not in en.toml", m)
	}
}

// catalogueFile is a package's locales/<tag>.toml as found on disk.
type catalogueFile struct {
	path, pkg, tag string
	ids            []string
}

// catalogueFiles reads every package's catalogue under internal/ (not the
// test messages of testdata folders).
func catalogueFiles(t *testing.T) []catalogueFile {
	t.Helper()
	var files []catalogueFile
	err := filepath.WalkDir(filepath.Join("..", "..", "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		dir := filepath.Dir(path)
		if d.IsDir() || filepath.Ext(path) != ".toml" || filepath.Base(dir) != "locales" {
			return nil
		}
		pkg, err := build.ImportDir(filepath.Dir(dir), 0)
		if err != nil {
			return err
		}
		var tables map[string]any
		if _, err := toml.DecodeFile(path, &tables); err != nil {
			return err
		}
		f := catalogueFile{path: path, pkg: pkg.Name, tag: strings.TrimSuffix(d.Name(), ".toml")}
		var walk func(prefix string, t map[string]any)
		walk = func(prefix string, t map[string]any) {
			if _, ok := t["other"].(string); ok {
				f.ids = append(f.ids, strings.TrimSuffix(prefix, "."))
				return
			}
			for k, v := range t {
				if sub, ok := v.(map[string]any); ok {
					walk(prefix+k+".", sub)
				}
			}
		}
		walk("", tables)
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCataloguesPerPackage checks that the catalogue is every package's:
// each locales/ folder is in the list given to i18n.Load, and each of its
// ids is named by its package.
func TestCataloguesPerPackage(t *testing.T) {
	c, err := app.Catalogue(example.Locales, memoryservice.Locales, pings.Locales, tracking.Locales, evemail.Locales, watchlists.Locales, corpstats.Locales, fat.Locales, timers.Locales, fleetops.Locales, srp.Locales, hr.Locales)
	if err != nil {
		t.Fatal(err)
	}
	files := catalogueFiles(t)
	if len(files) < 40 {
		t.Fatalf("found only %d catalogue files: the walk no longer finds them", len(files))
	}
	for _, f := range files {
		if f.tag != i18n.Source {
			continue
		}
		for _, id := range f.ids {
			if !c.Has(id) {
				t.Errorf("%s: %s is not loaded: add the package's Locales to the list in internal/app", f.path, id)
				break
			}
			// A package's ids start with its name, or with its path under
			// internal/ (services.discord. for internal/services/discord).
			under := strings.ReplaceAll(strings.TrimPrefix(filepath.ToSlash(filepath.Dir(filepath.Dir(f.path))), "../../internal/"), "/", ".")
			if !strings.HasPrefix(id, f.pkg+".") && !strings.HasPrefix(id, under+".") && !(f.pkg == "i18n" && id == "language.name") {
				t.Errorf("%s: %s is not named by its package (%s.… or %s.…)", f.path, id, f.pkg, under)
			}
		}
	}
}

// TestEveryMessageFormats formats every message of every language, given a
// value for each field of its English message: a translation whose template
// breaks is shown as its id.
func TestEveryMessageFormats(t *testing.T) {
	c, err := app.Catalogue(example.Locales, memoryservice.Locales, pings.Locales, tracking.Locales, evemail.Locales, watchlists.Locales, corpstats.Locales, fat.Locales, timers.Locales, fleetops.Locales, srp.Locales, hr.Locales)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range catalogueFiles(t) {
		l := c.Localizer(f.tag)
		if l.Tag() != f.tag {
			t.Errorf("%s: %s is not a language of the catalogue", f.path, f.tag)
			continue
		}
		for _, id := range f.ids {
			args := []any{}
			for _, field := range c.Fields(id) {
				v := any("x")
				if field == "Count" {
					v = 2
				}
				args = append(args, field, v)
			}
			if got := l.T(id, args...); got == id || strings.Contains(got, "<no value>") {
				t.Errorf("%s: T(%q) = %q", f.tag, id, got)
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("formatted only %d messages: the catalogue files are not all found", n)
	}
}

// sameInEnglish are the messages a language writes as English does: names
// (Keepstar, River, the Application API), technical words the language has
// taken as they are, and words spelt alike. Any other translation equal to
// its English is English left untranslated.
var sameInEnglish = map[string][]string{
	"": {"Keepstar", "Keepstar {{.Version}}", "API", "Application API", "Go", "River", "River UI", "×{{.Count}}", "{{.Amount}} ISK",
		"{{.Setting}}: {{.Error}}"},
	"de": {"Name", "Status", "Standard", "Superuser", "Administration", "Browser", "Logo", "Jobs", "Job", "Apps",
		"App", "Schema", "Schemas", "Header", "Secret", "Body", "Buckets", "Corporations"},
	"es":      {"Roles", "no", "Buckets"},
	"zh-Hans": {},
}

// TestNoEnglishLeftInTranslations lists the messages that a language's
// file gives exactly as English does, unless the list above says the
// language writes them so.
func TestNoEnglishLeftInTranslations(t *testing.T) {
	english := map[string]map[string]any{} // the tables of each en.toml, by id
	files := catalogueFiles(t)
	for _, f := range files {
		if f.tag == i18n.Source {
			for id, m := range messagesOf(t, f.path) {
				english[id] = m
			}
		}
	}
	n := 0
	for _, f := range files {
		if f.tag == i18n.Source {
			continue
		}
		for id, m := range messagesOf(t, f.path) {
			n++
			text, _ := m["other"].(string)
			if text != english[id]["other"] || slices.Contains(sameInEnglish[""], text) || slices.Contains(sameInEnglish[f.tag], text) {
				continue
			}
			t.Errorf("%s: %s is English: %q (translate it, or list it in sameInEnglish if %s writes it so)", f.path, id, text, f.tag)
		}
	}
	if n < 1000 {
		t.Errorf("compared only %d translations: the catalogue files are not all found", n)
	}
	// A message a language lacks is shown in English too.
	c, err := app.Catalogue(example.Locales, memoryservice.Locales, pings.Locales, tracking.Locales, evemail.Locales, watchlists.Locales, corpstats.Locales, fat.Locales, timers.Locales, fleetops.Locales, srp.Locales, hr.Locales)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Languages() {
		for _, id := range c.Missing(l.Tag) {
			t.Errorf("%s lacks %s, shown in English", l.Tag, id)
		}
	}
}

// messagesOf reads a catalogue file's messages, by id.
func messagesOf(t *testing.T, path string) map[string]map[string]any {
	t.Helper()
	var tables map[string]any
	if _, err := toml.DecodeFile(path, &tables); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	var walk func(prefix string, t map[string]any)
	walk = func(prefix string, t map[string]any) {
		if _, ok := t["other"].(string); ok {
			out[strings.TrimSuffix(prefix, ".")] = t
			return
		}
		for k, v := range t {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", tables)
	return out
}
