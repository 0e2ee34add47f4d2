package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const goodKey = "0123456789abcdefghijklmnopqrstuvwxyz"

// run runs a keepstar command in-process with the given environment.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	code := c.main(context.Background(), args)
	return code, out.String(), errb.String()
}

func TestCheckWrongDatabaseURL(t *testing.T) {
	code, out, _ := run(t, map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": "mysql://root@localhost/keepstar"}, "check")
	if code == 0 || !strings.Contains(out, "FAIL  KEEPSTAR_DATABASE_URL: must be empty") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestCheckUnreachableDatabase(t *testing.T) {
	// Port 1 on loopback: nothing listens, the connection is refused at once.
	code, out, _ := run(t, map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": "postgres://keepstar:pw-not-shown@127.0.0.1:1/keepstar"}, "check")
	if code == 0 || !strings.Contains(out, "FAIL  database postgres://keepstar:xxxxx@127.0.0.1:1/keepstar") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if strings.Contains(out, "pw-not-shown") {
		t.Errorf("password printed:\n%s", out)
	}
	missing := filepath.Join(t.TempDir(), "no-such-folder", "keepstar.db")
	code, out, _ = run(t, map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": "sqlite:" + missing}, "check")
	if code == 0 || !strings.Contains(out, "does not exist") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestCheckShortSecretKeyAndEveryOtherProblem(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, map[string]string{
		"KEEPSTAR_SECRET_KEY":   "too-short",
		"KEEPSTAR_LOG_LEVEL":    "chatty",
		"KEEPSTAR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "k.db"),
	}, "check")
	if code == 0 || !strings.Contains(out, "FAIL  KEEPSTAR_SECRET_KEY: is 9 characters long; it must have at least 32") ||
		!strings.Contains(out, "FAIL  KEEPSTAR_LOG_LEVEL") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The database is still checked: a new one, which serve will make.
	if !strings.Contains(out, "note  database sqlite:"+filepath.Join(dir, "k.db")+": new") {
		t.Errorf("database not checked:\n%s", out)
	}
}

// On a new database, check says that serve migrates it, as a note and not
// a failure, and makes no file.
func TestCheckNewDatabaseCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepstar.db")
	code, out, _ := run(t, map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": "sqlite:" + path}, "check")
	if code != 0 || !strings.Contains(out, "note  database sqlite:"+path+": new, not created yet: `keepstar serve` creates and migrates it") ||
		strings.Contains(out, "FAIL") || !strings.Contains(out, "no problems found") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("check made files: %v %v", entries, err)
	}
}

func TestMigrateThenCheckPasses(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dbc := storetest.Database(t, d)
			url := dbc.URL
			if url == "" {
				url = "sqlite:" + dbc.Path
			}
			env := map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": url, "KEEPSTAR_LOG_LEVEL": "warn"}
			// A new database is no problem: serve migrates it.
			if code, out, _ := run(t, env, "check"); code != 0 || !strings.Contains(out, "note  database") ||
				!strings.Contains(out, "`keepstar serve`") || strings.Contains(out, "FAIL") {
				t.Fatalf("check before migrate: exit %d\n%s", code, out)
			}
			code, out, errOut := run(t, env, "migrate")
			if code != 0 {
				t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
			}
			// It reports the newest version this binary knows.
			db, err := store.Open(context.Background(), dbc, 2)
			if err != nil {
				t.Fatal(err)
			}
			current, target, err := db.SchemaVersions(context.Background())
			db.Close()
			if err != nil || current != target || !strings.Contains(out, fmt.Sprintf("is at schema version %d\n", target)) {
				t.Fatalf("migrate said %q; database at %d of %d (err %v)", out, current, target, err)
			}
			code, out, _ = run(t, env, "check")
			if code != 0 || !strings.Contains(out, "no problems found") || !strings.Contains(out, "warn  EVE login is off") {
				t.Fatalf("check after migrate: exit %d\n%s", code, out)
			}
		})
	}
}

func TestConfigFileFlag(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keepstar.env")
	content := "KEEPSTAR_SECRET_KEY=" + goodKey + "\nKEEPSTAR_DATABASE_URL=sqlite:" + filepath.Join(dir, "k.db") + "\nKEEPSTAR_LOG_LEVEL=warn\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, nil, "migrate", "-config", file); code != 0 {
		t.Fatalf("migrate -config: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, map[string]string{"KEEPSTAR_CONFIG_FILE": file}, "check"); code != 0 {
		t.Fatalf("check with KEEPSTAR_CONFIG_FILE: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, nil, "check", "-config", filepath.Join(dir, "missing.env")); code == 0 || !strings.Contains(out, "KEEPSTAR_CONFIG_FILE: cannot read") {
		t.Fatalf("missing config file: exit %d\n%s", code, out)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	code, _, errOut := run(t, map[string]string{"KEEPSTAR_LISTEN": "nowhere"}, "serve")
	if code != exitUsage || !strings.Contains(errOut, "KEEPSTAR_SECRET_KEY: is required") || !strings.Contains(errOut, "KEEPSTAR_LISTEN: must be HOST:PORT") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, map[string]string{"KEEPSTAR_SECRET_KEY": goodKey}, "serve", "-mode", "everything")
	if code != exitUsage || !strings.Contains(errOut, "want all, web or worker") {
		t.Fatalf("bad mode: exit %d\n%s", code, errOut)
	}
}

func TestUsage(t *testing.T) {
	if code, out, _ := run(t, nil, "help"); code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "demo") {
		t.Errorf("help: %d %s", code, out)
	}
	for _, cmd := range []string{"serve", "demo", "migrate", "check", "version", "evesim", "admin"} {
		code, _, errOut := run(t, nil, cmd, "-h")
		if code != 0 || !strings.Contains(errOut, "Usage: keepstar "+cmd) {
			t.Errorf("%s -h: %d %s", cmd, code, errOut)
		}
		if code, out, _ := run(t, nil, "help", cmd); code != 0 || !strings.Contains(out, "Usage: keepstar "+cmd) {
			t.Errorf("help %s: %d %s", cmd, code, out)
		}
	}
	if code, _, errOut := run(t, nil, "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
	if code, _, _ := run(t, nil); code != exitUsage {
		t.Errorf("no command: %d", code)
	}
	if code, _, errOut := run(t, nil, "check", "-bogus"); code != exitUsage || !strings.Contains(errOut, "-bogus") {
		t.Errorf("bad flag: %d %s", code, errOut)
	}
	if code, _, _ := run(t, nil, "version", "extra"); code != exitUsage {
		t.Errorf("extra argument: %d", code)
	}
	if code, out, _ := run(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "keepstar ") {
		t.Errorf("version: %d %s", code, out)
	}
}

func TestEvesimFlags(t *testing.T) {
	for _, args := range [][]string{
		{"evesim", "-issuer", "both"},
		{"evesim", "-characters", "0"},
		{"evesim", "-client", "no-callback"},
		{"evesim", "-listen", "nowhere"},
	} {
		if code, _, errOut := run(t, nil, args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, message %q", args, code, errOut)
		}
	}
}

// Each command's usage line names every flag it has, so `keepstar CMD -h`
// shows them all at a glance before their details.
func TestUsageLineNamesEveryFlag(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  (-[a-z-]+)`)
	for name := range commands {
		if name == "help" {
			continue
		}
		_, _, errOut := run(t, nil, name, "-h")
		usage, _, _ := strings.Cut(errOut, "\n")
		for _, m := range flagLine.FindAllStringSubmatch(errOut, -1) {
			if !strings.Contains(usage, "["+m[1]) {
				t.Errorf("keepstar %s -h: the usage line %q does not name %s", name, usage, m[1])
			}
		}
	}
}
