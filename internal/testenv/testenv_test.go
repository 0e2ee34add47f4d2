package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMain tells the developer, once per `go test ./...`, which tests were
// skipped: this package is in every such run.
func TestMain(m *testing.M) {
	code := m.Run()
	Announce()
	os.Exit(code)
}

func TestNoticeNamesWhatIsOffAndItsVariable(t *testing.T) {
	env := map[string]string{"KEEPSTAR_TEST_POSTGRES_URL": "postgres://x"}
	off := Off(func(k string) string { return env[k] })
	if len(off) != len(Servers)-1 {
		t.Fatalf("off = %v", off)
	}
	var b strings.Builder
	if err := WriteNotice(&b, off); err != nil {
		t.Fatal(err)
	}
	for _, s := range off {
		if !strings.Contains(b.String(), s.Env+"="+s.Example) || !strings.Contains(b.String(), s.Tests) {
			t.Errorf("notice misses %s:\n%s", s.Env, b.String())
		}
	}
	if strings.Contains(b.String(), "KEEPSTAR_TEST_POSTGRES_URL") {
		t.Errorf("notice names a variable that is set:\n%s", b.String())
	}
	b.Reset()
	if WriteNotice(&b, nil); b.Len() != 0 {
		t.Errorf("notice with nothing off: %q", b.String())
	}
}

func TestProcessStart(t *testing.T) {
	for stat, want := range map[string]string{
		"4242 (go) S 1 4242 4242 34816 4242 4194304 100 0 0 0 10 2 0 0 20 0 12 0 987654 1000000 ...": "go 987654",
		"77 (a b) c)) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 31337 x":                        "a b) c) 31337",
	} {
		name, started, ok := processStart(stat)
		if got := name + " " + started; !ok || got != want {
			t.Errorf("processStart(%q) = %q %v, want %q", stat, got, ok, want)
		}
	}
	if _, _, ok := processStart("12 (short) S 1"); ok {
		t.Error("a short stat line accepted")
	}
}

// Every variable a test reads to reach a server is listed, so the notice
// cannot miss a group: the tree's sources are searched for KEEPSTAR_TEST_
// names, and each is a server of Servers or one of the switches that reach
// no server.
func TestEveryServerVariableIsListed(t *testing.T) {
	notServers := map[string]bool{
		"KEEPSTAR_TEST_LOG":         true, // shows the test sites' logs
		"KEEPSTAR_TEST_SCREENSHOTS": true, // keeps the browser tests' screenshots
		"KEEPSTAR_TEST_ARTIFACTS":   true, // where the browser tests write what they keep
		"KEEPSTAR_TEST_SERVE_CHILD": true, // a test's own binary run as a child process
		"KEEPSTAR_TEST_CRASH_CHILD": true,
	}
	listed := map[string]bool{}
	for _, s := range Servers {
		listed[s.Env] = true
	}
	name := regexp.MustCompile(`KEEPSTAR_TEST_[A-Z0-9_]*[A-Z0-9]`)
	seen := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, env := range name.FindAllString(string(src), -1) {
			seen[env] = true
			if !listed[env] && !notServers[env] {
				t.Errorf("%s (in %s) is neither in testenv.Servers nor a known switch", env, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for env := range listed {
		if !seen[env] {
			t.Errorf("%s is listed but no test reads it", env)
		}
	}
}
