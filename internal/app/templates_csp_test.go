package app

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// inlineCode matches what the Content-Security-Policy (style-src 'self',
// script-src 'self') makes the browser refuse: style attributes, event
// handler attributes and javascript: links.
var inlineCode = regexp.MustCompile(`(?i)\s(style|on[a-z]+)\s*=|href\s*=\s*"javascript:`)

// TestTemplatesHaveNoInlineCode reads every page template of every feature
// (internal/**/templates/*.html): a style or handler written inline is
// blocked by the site's policy in the browser (the pings history's message
// once lost its line breaks that way) and must live in keepstar.css or
// keepstar.js instead.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	root := ".."
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".html") || filepath.Base(filepath.Dir(path)) != "templates" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for i, line := range strings.Split(string(b), "\n") {
			if m := inlineCode.FindString(line); m != "" {
				t.Errorf("%s:%d: inline %q, refused by the Content-Security-Policy", path, i+1, strings.TrimSpace(m))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("read %d templates under %s; the walk missed them", n, root)
	}
}
