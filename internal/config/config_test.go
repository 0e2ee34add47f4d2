package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodKey = "0123456789abcdefghijklmnopqrstuvwxyzABCD"

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.Dialect != SQLite || cfg.Database.Path != "keepstar.db" {
		t.Errorf("database = %+v, want SQLite keepstar.db", cfg.Database)
	}
	if cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("listen = %q", cfg.Listen)
	}
	if got := cfg.BaseURL.String(); got != "http://127.0.0.1:8080" {
		t.Errorf("base URL = %q", got)
	}
	if got := cfg.EVECallbackURL.String(); got != "http://127.0.0.1:8080/sso/callback" {
		t.Errorf("callback = %q", got)
	}
	if cfg.EVESSOURL.String() != "https://login.eveonline.com" || cfg.ESIURL.String() != "https://esi.evetech.net" {
		t.Errorf("EVE URLs = %s %s", cfg.EVESSOURL, cfg.ESIURL)
	}
	if cfg.SecureCookies() {
		t.Error("http base URL must not ask for Secure cookies")
	}
	if cfg.JobTimeout != 5*time.Minute || cfg.JobRescueAfter != 10*time.Minute {
		t.Errorf("job timings = %s %s", cfg.JobTimeout, cfg.JobRescueAfter)
	}
	// OWASP ASVS level 2's re-authentication times (decision 0021).
	if cfg.SessionLifetime != 12*time.Hour || cfg.SessionIdleTimeout != 30*time.Minute {
		t.Errorf("session times = %s %s", cfg.SessionLifetime, cfg.SessionIdleTimeout)
	}
}

// An idle timeout shorter than a quarter hour would end sessions in use:
// their activity is written only every five minutes.
func TestSessionIdleTimeoutBounds(t *testing.T) {
	for value, ok := range map[string]bool{"15m": true, "2h": true, "10m": false, "0": false, "soon": false} {
		_, err := Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_SESSION_IDLE_TIMEOUT": value})}, nil)
		if (err == nil) != ok || err != nil && !strings.Contains(err.Error(), "KEEPSTAR_SESSION_IDLE_TIMEOUT") {
			t.Errorf("idle timeout %q: %v, want ok %v", value, err, ok)
		}
	}
}

func TestHTTPSBaseURLMakesCookiesSecureAndDerivesCallback(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{
		"KEEPSTAR_SECRET_KEY": goodKey,
		"KEEPSTAR_BASE_URL":   "https://auth.example.org/",
	})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.SecureCookies() {
		t.Error("https base URL must ask for Secure cookies")
	}
	if got := cfg.EVECallbackURL.String(); got != "https://auth.example.org/sso/callback" {
		t.Errorf("callback = %q", got)
	}
}

func TestEveryProblemIsReportedByName(t *testing.T) {
	_, err := Load(Source{Env: envOf(map[string]string{
		"KEEPSTAR_SECRET_KEY":       "short",
		"KEEPSTAR_DATABASE_URL":     "mysql://x",
		"KEEPSTAR_LISTEN":           "8080",
		"KEEPSTAR_LOG_FORMAT":       "xml",
		"KEEPSTAR_JOB_WORKERS":      "many",
		"KEEPSTAR_EVE_CLIENT_ID":    "abc",
		"KEEPSTAR_ESI_URL":          "ftp://esi",
		"KEEPSTAR_JOB_TIMEOUT":      "20m",
		"KEEPSTAR_JOB_RESCUE_AFTER": "10m",
	})}, nil)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v is not Problems", err)
	}
	want := []string{"KEEPSTAR_SECRET_KEY", "KEEPSTAR_DATABASE_URL", "KEEPSTAR_LISTEN", "KEEPSTAR_LOG_FORMAT",
		"KEEPSTAR_JOB_WORKERS", "KEEPSTAR_EVE_CLIENT_SECRET", "KEEPSTAR_ESI_URL", "KEEPSTAR_JOB_RESCUE_AFTER"}
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Setting] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no problem reported for %s; got %v", w, ps)
		}
	}
}

func TestMissingSecretKey(t *testing.T) {
	_, err := Load(Source{Env: envOf(nil)}, nil)
	if err == nil || !strings.Contains(err.Error(), "KEEPSTAR_SECRET_KEY: is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestDatabaseURLForms(t *testing.T) {
	for in, want := range map[string]Database{
		"":                                     {Dialect: SQLite, Path: "keepstar.db"},
		"sqlite:/var/lib/ks.db":                {Dialect: SQLite, Path: "/var/lib/ks.db"},
		"sqlite://data/ks.db":                  {Dialect: SQLite, Path: "data/ks.db"},
		"postgres://u:p@db:5432/ks":            {Dialect: Postgres, URL: "postgres://u:p@db:5432/ks"},
		"postgresql://u@db/ks?sslmode=disable": {Dialect: Postgres, URL: "postgresql://u@db/ks?sslmode=disable"},
	} {
		got, err := ParseDatabaseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseDatabaseURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"sqlite:", "mysql://x", "postgres:///nohost", "keepstar.db", "sqlite:x.db?mode=ro", "postgres://u:p@h:badport/x"} {
		if _, err := ParseDatabaseURL(bad); err == nil {
			t.Errorf("ParseDatabaseURL(%q) accepted", bad)
		}
	}
}

func TestDatabaseStringHidesPassword(t *testing.T) {
	d, err := ParseDatabaseURL("postgres://keepstar:hunter2secret@db:5432/ks")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.String(), "hunter2secret") {
		t.Errorf("String() leaks the password: %s", d)
	}
	_, err = ParseDatabaseURL("postgres://keepstar:hunter2secret@db:badport/ks")
	if err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Errorf("parse error leaks the password or is missing: %v", err)
	}
}

func TestConfigFileAndEnvironmentPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keepstar.env")
	content := "# Keepstar\n\nKEEPSTAR_SECRET_KEY=\"" + goodKey + "\"\nexport KEEPSTAR_SITE_NAME='Brave Collective'\nKEEPSTAR_LISTEN=0.0.0.0:9000\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Source{File: file, Env: envOf(map[string]string{"KEEPSTAR_LISTEN": "127.0.0.1:9001"})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SiteName != "Brave Collective" || string(cfg.SecretKey) != goodKey {
		t.Errorf("file values not read: %q %q", cfg.SiteName, cfg.SecretKey)
	}
	if cfg.Listen != "127.0.0.1:9001" {
		t.Errorf("environment must win over the file; listen = %q", cfg.Listen)
	}
}

func TestConfigFileProblems(t *testing.T) {
	_, ps := ParseFile(strings.NewReader("KEEPSTAR_SECRET_KEY=x\nKEEPSTAR_LISTN=:80\njunk\n"), "k.env")
	if len(ps) != 2 || !strings.Contains(ps[0].String(), "k.env line 2") || !strings.Contains(ps[1].String(), "line 3") {
		t.Errorf("problems = %v", ps)
	}
	_, err := Load(Source{File: filepath.Join(t.TempDir(), "missing.env"), Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey})}, nil)
	if err == nil || !strings.Contains(err.Error(), "KEEPSTAR_CONFIG_FILE") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestOverridesWin(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": "short"})}, Overrides{"KEEPSTAR_SECRET_KEY": goodKey})
	if err != nil || string(cfg.SecretKey) != goodKey {
		t.Fatalf("cfg=%v err=%v", cfg, err)
	}
}

// The reference in docs/configuration.md must name every setting with its
// default, so operators never meet an undocumented one.
func TestReferenceDocumentsEverySetting(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		if !strings.Contains(string(doc), "`"+s.Name+"`") {
			t.Errorf("docs/configuration.md does not document %s", s.Name)
		}
		if s.Default != "" && !strings.Contains(string(doc), "`"+s.Default+"`") {
			t.Errorf("docs/configuration.md does not give %s's default %q", s.Name, s.Default)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add("KEEPSTAR_LISTEN=127.0.0.1:8080\n# c\nexport KEEPSTAR_SITE_NAME='x'\n")
	f.Fuzz(func(t *testing.T, s string) {
		values, _ := ParseFile(strings.NewReader(s), "fuzz")
		for k := range values {
			if Lookup(k) == nil {
				t.Fatalf("unknown key %q accepted", k)
			}
		}
	})
}

func TestJobSchedules(t *testing.T) {
	got, err := parseSchedules(" affiliations_sync=30m, tokens_check=off ,")
	if err != nil || len(got) != 2 || got["affiliations_sync"] != 30*time.Minute || got["tokens_check"] != 0 {
		t.Fatalf("parseSchedules = %v, %v", got, err)
	}
	for _, bad := range []string{"affiliations_sync", "=1h", "a=1h,a=2h", "a=30s", "a=soon", "a=45d"} {
		if _, err := parseSchedules(bad); err == nil {
			t.Errorf("parseSchedules(%q) accepted", bad)
		}
	}
}

func TestRateLimitAndTrustedProxies(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimitIPMax != 0 || cfg.RateLimitIPWindow != time.Minute || len(cfg.TrustedProxies) != 0 {
		t.Errorf("defaults: %d per %s, proxies %v; want off, 1m, none", cfg.RateLimitIPMax, cfg.RateLimitIPWindow, cfg.TrustedProxies)
	}
	cfg, err = Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey,
		"KEEPSTAR_RATE_LIMIT_IP_MAX": "300", "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "10s",
		"KEEPSTAR_TRUSTED_PROXIES": " 127.0.0.1, 10.1.2.3/8,::1 ,fd00::/8,"})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var proxies []string
	for _, p := range cfg.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if cfg.RateLimitIPMax != 300 || cfg.RateLimitIPWindow != 10*time.Second ||
		strings.Join(proxies, " ") != "127.0.0.1/32 10.0.0.0/8 ::1/128 fd00::/8" {
		t.Errorf("read: %d per %s, proxies %v", cfg.RateLimitIPMax, cfg.RateLimitIPWindow, proxies)
	}
	for name, bad := range map[string]string{
		"KEEPSTAR_RATE_LIMIT_IP_MAX":    "-1",
		"KEEPSTAR_RATE_LIMIT_IP_WINDOW": "500ms",
		"KEEPSTAR_TRUSTED_PROXIES":      "10.0.0.0/8,proxy.example.org",
	} {
		_, err := Load(Source{Env: envOf(map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, name: bad})}, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v, want a problem naming it", name, bad, err)
		}
	}
}

func TestMetricsListen(t *testing.T) {
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz"}
	cfg, err := Load(Source{Env: envOf(env)}, nil)
	if err != nil || cfg.MetricsListen != "" {
		t.Fatalf("default: %q %v, want none", cfg.MetricsListen, err)
	}
	env["KEEPSTAR_METRICS_LISTEN"] = "127.0.0.1:9090"
	if cfg, err = Load(Source{Env: envOf(env)}, nil); err != nil || cfg.MetricsListen != "127.0.0.1:9090" {
		t.Fatalf("set: %+v %v", cfg, err)
	}
	for _, bad := range []string{"9090", "127.0.0.1:8080"} { // no port; the main listener's
		env["KEEPSTAR_METRICS_LISTEN"] = bad
		if _, err := Load(Source{Env: envOf(env)}, nil); err == nil || !strings.Contains(err.Error(), "KEEPSTAR_METRICS_LISTEN") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
