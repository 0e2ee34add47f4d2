package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func testConfig(t *testing.T, dbc config.Database, ln net.Listener) *config.Config {
	t.Helper()
	url := "sqlite:" + dbc.Path
	if dbc.Dialect == config.Postgres {
		url = dbc.URL
	}
	env := map[string]string{
		"KEEPSTAR_SECRET_KEY":       "0123456789abcdefghijklmnopqrstuvwxyz",
		"KEEPSTAR_DATABASE_URL":     url,
		"KEEPSTAR_LISTEN":           ln.Addr().String(),
		"KEEPSTAR_SHUTDOWN_TIMEOUT": "5s",
	}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// running is a keepstar serve process in the test.
type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, dbc config.Database, mode app.Mode) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dbc, ln)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		r.done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Mode: mode, Listener: ln, OnReady: func(u string) { ready <- u }})
	}()
	select {
	case r.url = <-ready:
	case err := <-r.done:
		t.Fatalf("Run stopped before ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("not ready in time")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	if err, ok := <-r.done; ok && err != nil {
		t.Errorf("Run: %v", err)
	}
	close(r.done)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeMigratesAndIsReady(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			r := start(t, storetest.Database(t, d), app.All)
			if code, body := get(t, r.url+"/readyz"); code != 200 {
				t.Fatalf("readyz: %d %s", code, body)
			}
			code, body := get(t, r.url+"/metrics")
			if code != 200 || !strings.Contains(body, `keepstar_build_info{database="`+string(d)+`"`) {
				t.Errorf("metrics: %d\n%s", code, body)
			}
		})
	}
}

// Several stateless processes share one PostgreSQL database: two web
// processes and a worker start at the same moment on an empty schema,
// migrate one after the other under the migration lock, and all serve.
func TestScaleOutProcessesShareOnePostgres(t *testing.T) {
	dbc := storetest.Database(t, config.Postgres)
	modes := []app.Mode{app.WebOnly, app.WebOnly, app.WorkerOnly}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, len(modes))
	done := make(chan error, len(modes))
	for _, m := range modes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, dbc, ln)
		go func() {
			done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Mode: m, Listener: ln, OnReady: func(u string) { ready <- u }})
		}()
	}
	var urls []string
	for range modes {
		select {
		case u := <-ready:
			if u != "" {
				urls = append(urls, u)
			}
		case err := <-done:
			t.Fatalf("a process stopped: %v", err)
		case <-time.After(60 * time.Second):
			t.Fatal("processes not ready in time")
		}
	}
	if len(urls) != 2 {
		t.Fatalf("web URLs %v: want two web processes serving and the worker serving none", urls)
	}
	for _, u := range urls {
		if code, body := get(t, u+"/readyz"); code != 200 {
			t.Errorf("%s not ready: %d %s", u, code, body)
		}
	}
	cancel()
	for range modes {
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestSplitModesNeedPostgres(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t, storetest.Database(t, config.SQLite), ln)
	err = app.Run(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Mode: app.WebOnly, Listener: ln})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("err = %v", err)
	}
}

func TestProblemsUntilMigrated(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenEmpty(t, d)
			problems := app.Problems(ctx, db)
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, "schema at version 0") || !strings.Contains(joined, "job queue") {
				t.Fatalf("problems of an empty database: %q", problems)
			}
			if err := app.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			if p := app.Problems(ctx, db); len(p) != 0 {
				t.Fatalf("problems after migrating: %q", p)
			}
		})
	}
}
