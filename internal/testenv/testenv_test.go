package testenv

import (
	"os"
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

// Every variable a test package reads to reach a server is listed, so the
// notice cannot miss a group.
func TestEveryServerVariableIsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, s := range Servers {
		listed[s.Env] = true
	}
	for _, env := range []string{"KEEPSTAR_TEST_POSTGRES_URL", "KEEPSTAR_TEST_MARIADB_DSN", "KEEPSTAR_TEST_CHROMIUM"} {
		if !listed[env] {
			t.Errorf("%s is not in Servers", env)
		}
	}
}
