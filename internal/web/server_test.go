package web_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/sessions"
	settingspkg "github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/telemetry"
	"github.com/keepstar/keepstar/internal/web"
)

type fixture struct {
	srv     *web.Server
	ts      *httptest.Server
	ready   error
	viewers viewers
	logs    lockedBuffer
}

// lockedBuffer collects a server's log lines, written from its handlers'
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// viewers is a web.Viewers over a fixed table: the web package's tests need
// members without the accounts package.
type viewers map[int32]*web.Viewer

func (v viewers) Viewer(_ context.Context, id int32, owner string) (*web.Viewer, error) {
	if m, ok := v[id]; ok && owner == "owner" {
		c := *m
		return &c, nil
	}
	return nil, web.ErrNoViewer
}

func newFixture(t testing.TB, settings map[string]string) *fixture {
	t.Helper()
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz"}
	for k, v := range settings {
		env[k] = v
	}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, config.SQLite)
	catalogue, err := i18n.Load(web.Locales)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{viewers: viewers{}}
	logger, err := telemetry.NewLogger(&f.logs, "text", "info")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	f.srv, err = web.New(web.Deps{
		Config: cfg, Logger: logger, Version: "test",
		Ready:   func(context.Context) error { return f.ready },
		Metrics: reg, Registerer: reg,
		Sessions: sessions.NewManager(sessions.NewStore(db), sessions.Options{Lifetime: time.Hour, IdleTimeout: time.Hour,
			Secure: cfg.SecureCookies()}),
		Viewers: f.viewers, I18n: catalogue,
		Settings: settingspkg.NewStore(db, settingspkg.NewRegistry(web.SiteSettings(cfg.SiteName)), nil, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv)
	t.Cleanup(f.ts.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, nil)
	if res, body := f.do(t, "GET", "/healthz", nil); res.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", res.StatusCode, body)
	}
	if res, body := f.do(t, "GET", "/readyz", nil); res.StatusCode != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", res.StatusCode, body)
	}
	// Anyone may ask: the cause goes to the log under the request id, the
	// answer says only that the database is unavailable.
	f.ready = errors.New("postgres://keepstar@10.1.2.3:5432/keepstar: schema at version 0, this Keepstar needs 1")
	res, body := f.do(t, "GET", "/readyz", nil)
	id := res.Header.Get(web.RequestIDHeader)
	if res.StatusCode != 503 || body != "not ready: the reason is in the log; request id "+id+"\n" {
		t.Errorf("readyz when not ready: %d %q", res.StatusCode, body)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "version 0") || !strings.Contains(logs, "request_id="+id) {
		t.Errorf("the cause is not logged with the request id:\n%s", logs)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/", "/healthz", "/no-such-page"} {
		res, _ := f.do(t, "GET", path, nil)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers = %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on an http site", path)
		}
		if h.Get(web.RequestIDHeader) == "" {
			t.Errorf("%s: no request id", path)
		}
	}
	https := newFixture(t, map[string]string{"KEEPSTAR_BASE_URL": "https://auth.example.org"})
	if res, _ := https.do(t, "GET", "/", nil); res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("https site without HSTS")
	}
}

// TestSecurityHeadersAreNotChangedByAResponse: the security headers'
// values are shared by every response; a handler that adds to one or sets
// it changes its own response only.
func TestSecurityHeadersAreNotChangedByAResponse(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Handle("GET /changes-headers", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Values("X-Content-Type-Options")[0] = "changed in place"
	}))
	before, _ := f.do(t, "GET", "/healthz", nil)
	changed, _ := f.do(t, "GET", "/changes-headers", nil)
	if got := changed.Header.Values("X-Frame-Options"); len(got) != 2 || changed.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the handler's own changes are lost: %v", changed.Header)
	}
	after, _ := f.do(t, "GET", "/healthz", nil)
	for _, name := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
		"Cross-Origin-Opener-Policy", "Permissions-Policy"} {
		if b, a := before.Header.Values(name), after.Header.Values(name); len(a) != 1 || len(b) != 1 || a[0] != b[0] {
			t.Errorf("%s: %q before, %q after a response changed it", name, b, a)
		}
	}
}

func TestRequestIDIsKeptWhenValid(t *testing.T) {
	f := newFixture(t, nil)
	res, _ := f.do(t, "GET", "/healthz", map[string]string{web.RequestIDHeader: "proxy-123"})
	if got := res.Header.Get(web.RequestIDHeader); got != "proxy-123" {
		t.Errorf("request id = %q", got)
	}
	res, _ = f.do(t, "GET", "/healthz", map[string]string{web.RequestIDHeader: "bad id\twith junk"})
	if got := res.Header.Get(web.RequestIDHeader); got == "" || strings.Contains(got, "junk") {
		t.Errorf("invalid incoming id kept: %q", got)
	}
}

func TestPagesAndAssets(t *testing.T) {
	f := newFixture(t, map[string]string{"KEEPSTAR_SITE_NAME": "Brave <Auth>"})
	// A page that does not exist is a page of the site, in its language.
	res, body := f.do(t, "GET", "/no-such-page", map[string]string{"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
	if res.StatusCode != 404 || !strings.Contains(body, "Brave &lt;Auth&gt;") || !strings.Contains(body, `lang="de"`) {
		t.Fatalf("404 page: %d %s", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("page Cache-Control = %q", res.Header.Get("Cache-Control"))
	}
	// Stylesheets and scripts carry their content hash and are cached for
	// good, compressed for browsers that take it.
	for _, asset := range []string{"/static/keepstar.css?v=", "/static/vendor/bootstrap.bundle.min.js?v=", "/static/vendor/htmx.min.js?v="} {
		i := strings.Index(body, asset)
		if i < 0 {
			t.Fatalf("no versioned link %s", asset)
		}
		link := body[i : i+strings.IndexByte(body[i:], '"')]
		res, content := f.do(t, "GET", link, nil)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || content == "" {
			t.Errorf("%s: %d %v", link, res.StatusCode, res.Header)
		}
		etags := map[string]string{}
		for _, enc := range []string{"gzip", "identity"} {
			req, _ := http.NewRequest("GET", f.ts.URL+link, nil)
			req.Header.Set("Accept-Encoding", enc)
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got, want := res.Header.Get("Content-Encoding"), strings.TrimSuffix(enc, "identity"); got != want {
				t.Errorf("%s asking for %s: Content-Encoding %q", link, enc, got)
			}
			etags[enc] = res.Header.Get("ETag")
		}
		if etags["gzip"] == etags["identity"] {
			t.Errorf("%s: one ETag for both encodings", link)
		}
	}
	if res, _ := f.do(t, "GET", "/static/missing.css", nil); res.StatusCode != 404 {
		t.Errorf("missing asset: %d", res.StatusCode)
	}
	if res, _ := f.do(t, "GET", "/site/logo", nil); res.StatusCode != 404 {
		t.Errorf("logo before one is set: %d", res.StatusCode)
	}
}

func TestMetricsAccess(t *testing.T) {
	// No token: direct loopback requests only.
	f := newFixture(t, nil)
	f.do(t, "GET", "/healthz", nil)
	res, body := f.do(t, "GET", "/metrics", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `keepstar_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`) {
		t.Fatalf("metrics: %d\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, `keepstar_http_request_duration_seconds_count{method="GET",route="GET /healthz"} 1`) {
		t.Error("no latency histogram for /healthz")
	}
	if res, _ := f.do(t, "GET", "/metrics", map[string]string{"X-Forwarded-For": "203.0.113.9"}); res.StatusCode != 403 {
		t.Errorf("proxied request without token: %d, want 403", res.StatusCode)
	}
	// Unknown paths are counted under one label, not one per path.
	f.do(t, "GET", "/random-1", nil)
	f.do(t, "GET", "/random-2", nil)
	_, body = f.do(t, "GET", "/metrics", nil)
	if strings.Contains(body, "random-1") || !strings.Contains(body, `code="404",method="GET",route="/"} 2`) {
		t.Errorf("unmatched routes not folded:\n%s", body)
	}

	// With a token: the token is needed, from anywhere.
	tok := newFixture(t, map[string]string{"KEEPSTAR_METRICS_TOKEN": "prometheus-token-123"})
	if res, _ := tok.do(t, "GET", "/metrics", nil); res.StatusCode != 403 {
		t.Errorf("no token: %d, want 403", res.StatusCode)
	}
	if res, _ := tok.do(t, "GET", "/metrics", map[string]string{"Authorization": "Bearer wrong-token-000000"}); res.StatusCode != 403 {
		t.Errorf("wrong token: %d, want 403", res.StatusCode)
	}
	if res, _ := tok.do(t, "GET", "/metrics", map[string]string{"Authorization": "Bearer prometheus-token-123", "X-Forwarded-For": "203.0.113.9"}); res.StatusCode != 200 {
		t.Errorf("right token: %d, want 200", res.StatusCode)
	}
}

func TestCrossOriginUnsafeRequestsRefused(t *testing.T) {
	f := newFixture(t, nil)
	var hit bool
	f.srv.Handle("POST /test/form", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))

	res, body := f.do(t, "POST", "/test/form", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if res.StatusCode != 403 || hit || !strings.Contains(body, "cross-origin") {
		t.Errorf("cross-site POST: %d %q, handler ran: %v", res.StatusCode, body, hit)
	}
	res, _ = f.do(t, "POST", "/test/form", map[string]string{"Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != 200 || !hit {
		t.Errorf("same-origin POST: %d, handler ran: %v", res.StatusCode, hit)
	}
	// Non-browser clients (no Origin, no Sec-Fetch-Site), such as API
	// clients, pass.
	hit = false
	if res, _ := f.do(t, "POST", "/test/form", nil); res.StatusCode != 200 || !hit {
		t.Errorf("API-style POST: %d", res.StatusCode)
	}
}

func TestCookiePolicy(t *testing.T) {
	for base, secure := range map[string]bool{"http://127.0.0.1:8080": false, "https://auth.example.org": true} {
		f := newFixture(t, map[string]string{"KEEPSTAR_BASE_URL": base})
		rec := httptest.NewRecorder()
		f.srv.SetCookie(rec, &http.Cookie{Name: "session", Value: "v"})
		c := rec.Result().Cookies()[0]
		if c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("%s: cookie = %+v", base, c)
		}
	}
}

func TestPanicsAreCaught(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Handle("GET /test/panic", web.Public, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	res, body := f.do(t, "GET", "/test/panic", nil)
	if res.StatusCode != 500 || !strings.Contains(body, res.Header.Get(web.RequestIDHeader)) {
		t.Errorf("panic: %d %q", res.StatusCode, body)
	}
	if res, _ := f.do(t, "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Error("server unusable after a panic")
	}
}

// Every route states who may use it, and the operational routes are the
// ones documented.
func TestEveryRouteStatesItsAccess(t *testing.T) {
	f := newFixture(t, nil)
	want := map[string]string{
		"GET /healthz": "public", "GET /readyz": "public", "GET /metrics": "metrics readers",
		"GET /static/{file...}": "public", "GET /site/logo": "public", "/": "public",
	}
	got := map[string]string{}
	for _, r := range f.srv.Routes() {
		if r.Access == "" {
			t.Errorf("%s has no access rule", r.Pattern)
		}
		got[r.Pattern] = r.Access
	}
	for p, a := range want {
		if got[p] != a {
			t.Errorf("%s: access %q, want %q", p, got[p], a)
		}
	}
}

// The session cookie goes by the __Host- prefix on an https site (Secure,
// whole site, this host only), by its plain name on http.
func TestSessionCookieName(t *testing.T) {
	for base, want := range map[string]string{"http://127.0.0.1:8080": "keepstar_session", "https://auth.example.org": "__Host-keepstar_session"} {
		f := newFixture(t, map[string]string{"KEEPSTAR_BASE_URL": base})
		f.srv.Handle("POST /test/flash", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.srv.AddFlash(r, "info", "web.save")
		}))
		res, _ := f.do(t, "POST", "/test/flash", map[string]string{"Sec-Fetch-Site": "same-origin"})
		cookies := res.Cookies()
		if len(cookies) != 1 || cookies[0].Name != want || cookies[0].Secure != strings.HasPrefix(base, "https:") ||
			cookies[0].Path != "/" || cookies[0].Domain != "" || !cookies[0].HttpOnly {
			t.Errorf("%s: cookies %v, want one %s", base, cookies, want)
		}
	}
}

// Routes of the APIs and the operational endpoints never read the session
// store, even when the client sends a session cookie; a page reads it once.
func TestOnlyPagesReadSessions(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.HandleAPI("GET /test/api", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.srv.Handle("GET /test/page", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	queries := func(path string, cookie bool) int64 {
		ctx, n := store.CountQueries(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: "keepstar_session", Value: "some-token"})
		}
		f.srv.ServeHTTP(httptest.NewRecorder(), req)
		return n.Load()
	}
	for _, path := range []string{"/test/api", "/healthz"} {
		if n := queries(path, true); n != 0 {
			t.Errorf("%s with a session cookie ran %d statements, want none", path, n)
		}
	}
	if n := queries("/test/page", false); n != 0 {
		t.Errorf("a page without a session cookie ran %d statements", n)
	}
	if n := queries("/test/page", true); n != 1 {
		t.Errorf("a page with a session cookie ran %d statements, want 1 (the session)", n)
	}
}

// Every page is one line of the log; what pages fetch with them (assets, the
// logo) and what load balancers poll are not, unless debug is asked for.
func TestPolledAndStaticRequestsAreQuiet(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/healthz", "/static/keepstar.css", "/site/logo", "/no-such-page"} {
		f.do(t, "GET", path, nil)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "path=/no-such-page") {
		t.Errorf("a page's request is not logged:\n%s", logs)
	}
	for _, quiet := range []string{"path=/healthz", "path=/static/keepstar.css", "path=/site/logo"} {
		if strings.Contains(logs, quiet) {
			t.Errorf("%s logged at info:\n%s", quiet, logs)
		}
	}
}

// A route whose path carries a secret is logged with its pattern, never
// its path; other routes keep their paths.
func TestHiddenPathsStayOutOfTheLog(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.HandleAPI("GET /test/feed/{secret}", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.srv.HidePath("GET /test/feed/{secret}")
	f.srv.HandleAPI("GET /test/open/{id}", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.do(t, "GET", "/test/feed/s3cret-link", nil)
	f.do(t, "GET", "/test/open/42", nil)
	logs := f.logs.String()
	if strings.Contains(logs, "s3cret-link") {
		t.Errorf("the secret is logged:\n%s", logs)
	}
	if !strings.Contains(logs, `path="GET /test/feed/{secret}"`) || !strings.Contains(logs, "path=/test/open/42") {
		t.Errorf("the requests are not logged as they should be:\n%s", logs)
	}
}
