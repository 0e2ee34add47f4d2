package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/i18n"
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
)

// TestEveryMessageIDExists reads every template and Go file of the
// project and checks that each message id they use is in the English
// catalogue, and so is each id made from a list (role.<role>,
// removal.<reason>, ...). A page would otherwise show the bare id.
func TestEveryMessageIDExists(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	used := map[string]string{} // id: where
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
				continue
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
	for _, id := range []string{"dashboard.title", "settings.site.name", "signin.error.state", "signin.merged", "home.login"} {
		if _, ok := used[id]; !ok {
			t.Errorf("%s not found in the code: the patterns no longer match it", id)
		}
	}
	// Ids built from lists.
	for _, r := range access.Roles {
		used["role."+r] = "access.Roles"
	}
	for _, r := range accounts.Reasons {
		used["removal."+string(r)] = "accounts.Reasons"
		if r != accounts.Moved && r != accounts.DeletedManually && !strings.HasPrefix(string(r), "moved") {
			used["notice.removed."+string(r)] = "accounts.remove"
		}
	}
	used["notice.moved."+string(accounts.MovedOwnerChanged)] = "accounts.move"
	for _, s := range []accounts.Status{accounts.Standard, accounts.Managed} {
		used["status."+string(s)] = "accounts.Status"
	}
	for _, code := range []string{"400", "401", "403", "404", "409", "422", "500", "502", "503"} {
		used["error.title."+code] = "web.FailDetail"
	}
	var missing []string
	for id, where := range used {
		if !c.Has(id) {
			missing = append(missing, id+" ("+where+")")
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("message %s is not in en.toml", m)
	}
}
