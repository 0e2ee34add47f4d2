package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/feature/example"
)

// TestPluggedFeatureJobListedAndRun: a feature registered as the guide
// says (one Constructor) has its job in `keepstar jobs list`, and `jobs run`
// works it; without it, the job is unknown.
func TestPluggedFeatureJobListedAndRun(t *testing.T) {
	env := map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_LOG_LEVEL": "warn",
		"KEEPSTAR_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "k.db"), "KEEPSTAR_SHUTDOWN_TIMEOUT": "5s"}
	if code, out, errOut := run(t, env, "migrate"); code != exitOK {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	with := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		c := &cli{stdout: &out, stderr: &errb, env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			features: []app.Constructor{example.New}}
		code := c.main(context.Background(), args)
		return code, out.String(), errb.String()
	}
	code, out, errOut := with("jobs", "list")
	if code != exitOK || !strings.Contains(out, "\nexample_count ") || !strings.Contains(lineOf(out, "example_count"), " 24h ") {
		t.Fatalf("list with the example: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := with("jobs", "run", "-wait", "example_count"); code != exitOK {
		t.Fatalf("run the example's job: %d %s%s", code, out, errOut)
	}
	if _, out, _ := run(t, env, "jobs", "list"); strings.Contains(out, "example_count") {
		t.Errorf("the example's job is listed without the example:\n%s", out)
	}
}
