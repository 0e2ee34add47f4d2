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

// With KEEPSTAR_METRICS_LISTEN, /metrics is served on that listener only,
// in every mode: the main listener, the one the reverse proxy forwards to,
// answers it with 404 whatever the request carries.
func TestMetricsOnTheirOwnListenerOnly(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dbc := storetest.Database(t, d)
			site, metrics := serveWithMetricsListener(t, dbc, app.All, "")
			for _, h := range []http.Header{nil, {"X-Forwarded-For": {"203.0.113.9"}}} {
				if code, _ := getWith(t, site+"/metrics", h); code != 404 {
					t.Errorf("/metrics on the main listener (headers %v): %d, want 404", h, code)
				}
			}
			code, body := getWith(t, metrics+"/metrics", nil)
			if code != 200 || !strings.Contains(body, `keepstar_build_info{database="`+string(d)+`"`) {
				t.Errorf("/metrics on the metrics listener: %d\n%.500s", code, body)
			}
			if code, _ := getWith(t, metrics+"/", nil); code != 404 {
				t.Errorf("the metrics listener serves %d for /", code)
			}
			if code, _ := getWith(t, metrics+"/readyz", nil); code != 404 {
				t.Errorf("the metrics listener serves %d for /readyz", code)
			}
			if d != config.Postgres {
				return // worker processes need PostgreSQL
			}
			// A worker serves its own metrics there too.
			_, workerMetrics := serveWithMetricsListener(t, dbc, app.WorkerOnly, "")
			if code, body := getWith(t, workerMetrics+"/metrics", nil); code != 200 || !strings.Contains(body, "keepstar_build_info") {
				t.Errorf("a worker's metrics listener: %d\n%.500s", code, body)
			}
		})
	}
}

// The metrics token, when set, is required on the metrics listener too.
func TestMetricsListenerRequiresTheTokenWhenSet(t *testing.T) {
	_, metrics := serveWithMetricsListener(t, storetest.Database(t, config.SQLite), app.All, "prometheus-token-123")
	for _, auth := range []string{"", "Bearer wrong-token-000000"} {
		if code, _ := getWith(t, metrics+"/metrics", http.Header{"Authorization": {auth}}); code != 403 {
			t.Errorf("Authorization %q: %d, want 403", auth, code)
		}
	}
	if code, _ := getWith(t, metrics+"/metrics", http.Header{"Authorization": {"Bearer prometheus-token-123"}}); code != 200 {
		t.Errorf("with the token: %d, want 200", code)
	}
}

// serveWithMetricsListener runs a serve process of mode with a metrics
// listener, giving the site's URL (empty for a worker) and the listener's.
func serveWithMetricsListener(t *testing.T, dbc config.Database, mode app.Mode, token string) (site, metrics string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dbc, ln)
	cfg.MetricsListen, cfg.MetricsToken = mln.Addr().String(), token
	if mode == app.WorkerOnly {
		ln.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Mode: mode, Listener: ln, MetricsListener: mln,
			OnReady: func(u string) { ready <- u }})
	}()
	select {
	case site = <-ready:
	case err := <-done:
		t.Fatalf("Run stopped before ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("not ready in time")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return site, "http://" + mln.Addr().String()
}

func getWith(t *testing.T, url string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
