package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The demo serves its home page on a fresh SQLite file with nothing
// configured, and stops cleanly.
func TestDemoServesHomePage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	pr, pw := io.Pipe()
	c := &cli{stdout: pw, stderr: io.Discard, env: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- c.main(ctx, []string{"demo", "-dir", dir, "-listen", "127.0.0.1:0"})
		pw.Close()
	}()
	urls, simURLs := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Keepstar demo is running at "); ok {
				urls <- u
			}
			if rest, ok := strings.CutPrefix(sc.Text(), "Simulated EVE (SSO, ESI, /control): "); ok {
				simURLs <- strings.Split(rest, ",")[0]
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case code := <-done:
		t.Fatalf("demo exited with %d before serving", code)
	case <-time.After(60 * time.Second):
		t.Fatal("demo not running in time")
	}
	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Keepstar demo") {
		t.Fatalf("home: %d %s", res.StatusCode, body)
	}
	// The simulated EVE runs beside the site.
	simURL := <-simURLs
	res, err = http.Get(simURL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(meta), simURL+"/v2/oauth/token") {
		t.Errorf("simulator metadata: %d %s", res.StatusCode, meta)
	}
	// A visitor logs in with a simulated character and looks around: the
	// first account is superuser, so the administration is there too.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), simURL+"/v2/oauth/authorize") && req.URL.Query().Get("character_id") == "" {
			q := req.URL.Query()
			q.Set("character_id", "90000001") // the simulator's shortcut for the player's choice
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	res, err = client.Get(url + "/sso/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasSuffix(res.Request.URL.Path, "/dashboard") || !strings.Contains(string(body), `href="/admin/accounts"`) {
		t.Fatalf("demo login ended at %s with %d:\n%s", res.Request.URL, res.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exit code %d", code)
	}
	for _, f := range []string{"keepstar.db", "secret.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("-dir must keep %s: %v", f, err)
		}
	}
}
