package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is Keepstar's validated configuration. A Config returned by Load is
// complete: every field holds a usable value.
type Config struct {
	Database         Database
	DatabaseMaxConns int
	Listen           string
	BaseURL          *url.URL
	SecretKey        []byte
	SiteName         string

	EVESSOURL       *url.URL
	ESIURL          *url.URL
	EVEClientID     string
	EVEClientSecret string
	EVECallbackURL  *url.URL
	EVEImagesURL    *url.URL

	SessionLifetime    time.Duration
	SessionIdleTimeout time.Duration

	LogFormat string
	LogLevel  string

	JobWorkers     int
	JobTimeout     time.Duration
	JobRescueAfter time.Duration
	// JobSchedules overrides the interval of scheduled jobs by name; 0
	// turns a schedule off. Names are checked against the jobs Keepstar
	// has when it starts.
	JobSchedules    map[string]time.Duration
	JobRetention    time.Duration
	ShutdownTimeout time.Duration
	MetricsToken    string
	// MetricsListen, when set, is the only address /metrics is served on
	// (the main listener then has none); empty serves it on the main one.
	MetricsListen string

	// RateLimitIPMax requests per RateLimitIPWindow are allowed from one
	// client address; 0 is no limit.
	RateLimitIPMax    int
	RateLimitIPWindow time.Duration
	// AppAuthFailuresMax failed authentications of the Application API per
	// AppAuthFailuresWindow are allowed from one client address; 0 is no
	// limit.
	AppAuthFailuresMax    int
	AppAuthFailuresWindow time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For tells
	// the client's address; no other's is believed.
	TrustedProxies []netip.Prefix
}

// SecureCookies reports whether cookies must carry the Secure flag: the site
// is served over https, so a cookie must never travel over plain http.
func (c *Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// EVELoginEnabled reports whether an EVE developer application is configured.
func (c *Config) EVELoginEnabled() bool { return c.EVEClientID != "" }

// Dialect names a supported database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Database is the parsed KEEPSTAR_DATABASE_URL.
type Database struct {
	Dialect Dialect
	// Path is the SQLite file (SQLite only).
	Path string
	// URL is the PostgreSQL connection string (PostgreSQL only).
	URL string
}

// String gives the database location without any password, for logs and
// messages.
func (d Database) String() string {
	if d.Dialect == SQLite {
		return "sqlite:" + d.Path
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return "postgres://(unparsable)"
	}
	return u.Redacted()
}

// ParseDatabaseURL reads KEEPSTAR_DATABASE_URL's forms: empty for keepstar.db,
// sqlite:PATH, or a postgres:// or postgresql:// URL.
func ParseDatabaseURL(s string) (Database, error) {
	switch {
	case s == "":
		return Database{Dialect: SQLite, Path: "keepstar.db"}, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		p = strings.TrimPrefix(p, "//") // accept sqlite://PATH as well
		if p == "" {
			return Database{}, errors.New("sqlite: needs a file path, as in sqlite:/var/lib/keepstar/keepstar.db")
		}
		if strings.ContainsAny(p, "?#") {
			return Database{}, errors.New("sqlite: the path may not contain '?' or '#'; Keepstar sets the SQLite options itself")
		}
		return Database{Dialect: SQLite, Path: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return Database{}, fmt.Errorf("not a valid URL: %w", redactURLError(err))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return Database{}, errors.New("the PostgreSQL URL names no host, as in postgres://keepstar@127.0.0.1:5432/keepstar")
		}
		return Database{Dialect: Postgres, URL: s}, nil
	default:
		return Database{}, errors.New("must be empty (SQLite file keepstar.db), sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
	}
}

// redactURLError drops the URL text from url.Parse's error: it may hold a
// password.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Source gives the raw values settings are read from. Environment variables
// win over the config file.
type Source struct {
	// Env looks up an environment variable (os.LookupEnv in production).
	Env func(string) (string, bool)
	// File is the optional config file's path; empty means none.
	File string
}

// FromEnvironment reads the process environment, with the config file named
// by file or else by KEEPSTAR_CONFIG_FILE.
func FromEnvironment(file string) Source {
	if file == "" {
		file = os.Getenv("KEEPSTAR_CONFIG_FILE")
	}
	return Source{Env: os.LookupEnv, File: file}
}

// Problems is every problem found in a configuration. Load reports them all at
// once so an operator fixes the file in one go.
type Problems []Problem

// Problem is one invalid setting.
type Problem struct {
	Setting string
	Message string
}

func (p Problem) String() string { return p.Setting + ": " + p.Message }

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return "invalid configuration:\n  " + strings.Join(lines, "\n  ")
}

// Overrides are values set by a command rather than by the operator, such as
// the demo's generated secret key. They win over the environment and file.
type Overrides map[string]string

// Load reads and validates every setting. The error, if any, is a Problems
// listing each bad setting by name, and no Config is returned with it.
func Load(src Source, overrides Overrides) (*Config, error) {
	cfg, problems := Check(src, overrides)
	if len(problems) > 0 {
		return nil, problems
	}
	return cfg, nil
}

// Check reads every setting like Load but returns what it could read along
// with the problems, for `keepstar check`, which goes on to test the database
// even when another setting is wrong. Nothing may start on a Config that came
// with problems.
func Check(src Source, overrides Overrides) (*Config, Problems) {
	raw, problems := readSource(src)
	for k, v := range overrides {
		raw[k] = v
	}
	cfg := &Config{}
	for _, s := range Settings {
		v, ok := raw[s.Name]
		if !ok || v == "" {
			v = s.Default
		}
		if v == "" && s.Required {
			problems = append(problems, Problem{s.Name, "is required: " + s.Doc})
			continue
		}
		if err := s.apply(cfg, v); err != nil {
			problems = append(problems, Problem{s.Name, err.Error()})
		}
	}
	problems = append(problems, crossCheck(cfg, raw)...)
	return cfg, problems
}

// crossCheck validates what no single setting can: defaults derived from other
// settings and pairs that must be set together. It runs after every setting
// was applied, so fields may be nil where a setting was bad.
func crossCheck(cfg *Config, raw map[string]string) Problems {
	var ps Problems
	if cfg.BaseURL == nil && raw["KEEPSTAR_BASE_URL"] == "" && cfg.Listen != "" {
		// The default base URL is the listen address, which suits local use.
		u, err := url.Parse("http://" + cfg.Listen)
		if err != nil {
			ps = append(ps, Problem{"KEEPSTAR_BASE_URL", "not set, and no URL can be made from KEEPSTAR_LISTEN"})
		} else {
			cfg.BaseURL = u
		}
	}
	if cfg.EVECallbackURL == nil && raw["KEEPSTAR_EVE_CALLBACK_URL"] == "" && cfg.BaseURL != nil {
		cfg.EVECallbackURL = cfg.BaseURL.JoinPath("/sso/callback")
	}
	if (cfg.EVEClientID == "") != (cfg.EVEClientSecret == "") {
		ps = append(ps, Problem{"KEEPSTAR_EVE_CLIENT_SECRET", "KEEPSTAR_EVE_CLIENT_ID and KEEPSTAR_EVE_CLIENT_SECRET must be set together"})
	}
	if cfg.MetricsListen != "" && cfg.MetricsListen == cfg.Listen {
		ps = append(ps, Problem{"KEEPSTAR_METRICS_LISTEN", "must differ from KEEPSTAR_LISTEN: the metrics listener keeps /metrics off the site's address"})
	}
	if cfg.JobRescueAfter != 0 && cfg.JobRescueAfter <= cfg.JobTimeout {
		ps = append(ps, Problem{"KEEPSTAR_JOB_RESCUE_AFTER", "must be longer than KEEPSTAR_JOB_TIMEOUT, or a job still running would be started a second time"})
	}
	return ps
}

// readSource merges the config file and the environment into one map of
// KEEPSTAR_ settings.
func readSource(src Source) (map[string]string, Problems) {
	raw := map[string]string{}
	var problems Problems
	if src.File != "" {
		f, err := os.Open(src.File)
		if err != nil {
			problems = append(problems, Problem{"KEEPSTAR_CONFIG_FILE", fmt.Sprintf("cannot read the config file: %v", err)})
		} else {
			fileValues, fileProblems := ParseFile(f, src.File)
			f.Close()
			problems = append(problems, fileProblems...)
			for k, v := range fileValues {
				raw[k] = v
			}
		}
	}
	if src.Env != nil {
		for _, s := range Settings {
			if v, ok := src.Env(s.Name); ok {
				raw[s.Name] = v
			}
		}
	}
	return raw, problems
}

// ParseFile reads a config file of KEY=VALUE lines, the format of systemd's
// EnvironmentFile and of .env files: blank lines and lines starting with #
// are skipped, values may be wrapped in single or double quotes. Unknown keys
// are reported, since a misspelt setting would otherwise be silently ignored.
func ParseFile(r io.Reader, name string) (map[string]string, Problems) {
	values := map[string]string{}
	var problems Problems
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		where := fmt.Sprintf("%s line %d", name, n)
		if !ok {
			problems = append(problems, Problem{where, "expected KEY=VALUE"})
			continue
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		if Lookup(key) == nil {
			problems = append(problems, Problem{where, fmt.Sprintf("unknown setting %q (see docs/configuration.md)", key)})
			continue
		}
		values[key] = value
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, Problem{name, err.Error()})
	}
	return values, problems
}

// Lookup finds a setting by name, or nil.
func Lookup(name string) *Setting {
	for i := range Settings {
		if Settings[i].Name == name {
			return &Settings[i]
		}
	}
	return nil
}

// Setting describes one configuration value: its name, default and meaning.
// The table below is the single source of docs/configuration.md's reference.
type Setting struct {
	Name     string
	Default  string
	Required bool
	Secret   bool
	Doc      string
	apply    func(c *Config, v string) error
}

// MinSecretKeyLength is the shortest KEEPSTAR_SECRET_KEY accepted: 32 bytes
// give the 256 bits the keys derived from it need.
const MinSecretKeyLength = 32

// Settings lists every setting, in the order of the reference.
var Settings = []Setting{
	{Name: "KEEPSTAR_DATABASE_URL", Secret: true,
		Doc: "Where data lives. Empty: the SQLite file keepstar.db in the working directory. `sqlite:PATH`: another SQLite file. `postgres://USER:PASSWORD@HOST:PORT/DB`: PostgreSQL, needed to run several keepstar processes; a `search_path` parameter selects a schema.",
		apply: func(c *Config, v string) (err error) {
			c.Database, err = ParseDatabaseURL(v)
			return err
		}},
	{Name: "KEEPSTAR_DATABASE_MAX_CONNS", Default: "10",
		Doc: "Most connections each process opens to PostgreSQL. SQLite always uses one writer and up to four readers.",
		apply: func(c *Config, v string) (err error) {
			c.DatabaseMaxConns, err = intIn(v, 2, 1000)
			return err
		}},
	{Name: "KEEPSTAR_LISTEN", Default: "127.0.0.1:8080",
		Doc: "Address and port the web server listens on. Put a reverse proxy in front for TLS.",
		apply: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("must be HOST:PORT, as in 127.0.0.1:8080: %w", err)
			}
			c.Listen = v
			return nil
		}},
	{Name: "KEEPSTAR_BASE_URL",
		Doc: "Public URL of the site, as members type it (https://auth.example.org). Cookies are marked Secure when it is https. Default: http:// and the listen address.",
		apply: func(c *Config, v string) (err error) {
			if v == "" {
				return nil // derived in crossCheck
			}
			c.BaseURL, err = absoluteURL(v)
			if err == nil {
				c.BaseURL.Path = strings.TrimSuffix(c.BaseURL.Path, "/")
			}
			return err
		}},
	{Name: "KEEPSTAR_SECRET_KEY", Required: true, Secret: true,
		Doc: fmt.Sprintf("Key that encrypts secrets at rest (refresh tokens, service passwords) and signs cookies. At least %d characters; make one with `openssl rand -base64 48`. Keep it safe: changing it makes stored tokens unreadable.", MinSecretKeyLength),
		apply: func(c *Config, v string) error {
			if len(v) < MinSecretKeyLength {
				return fmt.Errorf("is %d characters long; it must have at least %d (make one with `openssl rand -base64 48`)", len(v), MinSecretKeyLength)
			}
			if strings.Count(v, v[:1]) == len(v) {
				return errors.New("is one character repeated; use a random key (`openssl rand -base64 48`)")
			}
			c.SecretKey = []byte(v)
			return nil
		}},
	{Name: "KEEPSTAR_SITE_NAME", Default: "Keepstar",
		Doc: "Name of the site shown in page titles and the top bar, until an administrator sets another on the settings page.",
		apply: func(c *Config, v string) error {
			if len(v) > 100 {
				return errors.New("is longer than 100 characters")
			}
			c.SiteName = v
			return nil
		}},
	{Name: "KEEPSTAR_EVE_SSO_URL", Default: "https://login.eveonline.com",
		Doc: "EVE SSO v2 server. Only changed to point at a mirror or egress proxy of CCP's SSO, the simulator (`keepstar evesim`) or a test double. Its metadata document (/.well-known/oauth-authorization-server) must give its endpoints; access tokens must be signed by a key of its JWKS and name the issuer as EVE does (`https://login.eveonline.com` or `login.eveonline.com`) or as its metadata's `issuer` does.",
		apply: func(c *Config, v string) (err error) {
			c.EVESSOURL, err = absoluteURL(v)
			return err
		}},
	{Name: "KEEPSTAR_ESI_URL", Default: "https://esi.evetech.net",
		Doc: "ESI server. Only changed to point at the simulator or a test double.",
		apply: func(c *Config, v string) (err error) {
			c.ESIURL, err = absoluteURL(v)
			return err
		}},
	{Name: "KEEPSTAR_EVE_CLIENT_ID",
		Doc:   "Client ID of the EVE developer application (developers.eveonline.com). Set together with the secret; without both, EVE login is off.",
		apply: func(c *Config, v string) error { c.EVEClientID = v; return nil }},
	{Name: "KEEPSTAR_EVE_CLIENT_SECRET", Secret: true,
		Doc:   "Secret key of the EVE developer application.",
		apply: func(c *Config, v string) error { c.EVEClientSecret = v; return nil }},
	{Name: "KEEPSTAR_EVE_CALLBACK_URL",
		Doc: "Callback URL registered with the EVE developer application. Default: KEEPSTAR_BASE_URL + /sso/callback.",
		apply: func(c *Config, v string) (err error) {
			if v == "" {
				return nil // derived in crossCheck
			}
			c.EVECallbackURL, err = absoluteURL(v)
			return err
		}},
	{Name: "KEEPSTAR_EVE_IMAGES_URL", Default: "https://images.evetech.net",
		Doc: "EVE image server for portraits and logos. Only changed to point at the simulator (its `/images` path) or a mirror.",
		apply: func(c *Config, v string) (err error) {
			c.EVEImagesURL, err = absoluteURL(v)
			if err == nil {
				c.EVEImagesURL.Path = strings.TrimSuffix(c.EVEImagesURL.Path, "/")
			}
			return err
		}},
	{Name: "KEEPSTAR_SESSION_LIFETIME", Default: "12h",
		Doc: "How long a login lasts, however active, before the member logs in again (Go duration). Logging out ends it at once. The default is OWASP ASVS level 2's (decision 0021).",
		apply: func(c *Config, v string) (err error) {
			c.SessionLifetime, err = durationIn(v, 5*time.Minute, 90*24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_SESSION_IDLE_TIMEOUT", Default: "30m",
		Doc: "A login not used for this long ends (Go duration, at least 15m). Activity is recorded at most every five minutes, so a session ends up to five minutes sooner. The default is OWASP ASVS level 2's (decision 0021).",
		apply: func(c *Config, v string) (err error) {
			c.SessionIdleTimeout, err = durationIn(v, 15*time.Minute, 90*24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_LOG_FORMAT", Default: "text",
		Doc: "`text` for people, `json` for log collectors.",
		apply: func(c *Config, v string) error {
			c.LogFormat = v
			return oneOf(v, "text", "json")
		}},
	{Name: "KEEPSTAR_LOG_LEVEL", Default: "info",
		Doc: "Least severe level logged: `debug`, `info`, `warn` or `error`.",
		apply: func(c *Config, v string) error {
			c.LogLevel = v
			return oneOf(v, "debug", "info", "warn", "error")
		}},
	{Name: "KEEPSTAR_JOB_WORKERS", Default: "10",
		Doc: "Background jobs run at once by each worker process.",
		apply: func(c *Config, v string) (err error) {
			c.JobWorkers, err = intIn(v, 1, 10000)
			return err
		}},
	{Name: "KEEPSTAR_JOB_TIMEOUT", Default: "5m",
		Doc: "Longest a background job may run before it is cancelled and retried (Go duration: 90s, 5m, 1h).",
		apply: func(c *Config, v string) (err error) {
			c.JobTimeout, err = durationIn(v, time.Second, 24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_JOB_RESCUE_AFTER", Default: "10m",
		Doc: "A job still marked running this long after it started is taken to belong to a crashed process and is run again. Must be longer than KEEPSTAR_JOB_TIMEOUT.",
		apply: func(c *Config, v string) (err error) {
			c.JobRescueAfter, err = durationIn(v, time.Second, 48*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_JOB_SCHEDULES",
		Doc: "Intervals of scheduled jobs, overriding their defaults: comma-separated `name=duration` pairs, `off` for none, e.g. `affiliations_sync=30m,tokens_check=off`. `keepstar jobs list` names the jobs and their defaults; the shortest interval is one minute.",
		apply: func(c *Config, v string) (err error) {
			c.JobSchedules, err = parseSchedules(v)
			return err
		}},
	{Name: "KEEPSTAR_JOB_RETENTION", Default: "48h",
		Doc: "How long records of finished jobs are kept (completed ones; failed and cancelled ones are kept at least 7 days). The operations page counts the last 24 hours, so keep at least `24h`.",
		apply: func(c *Config, v string) (err error) {
			c.JobRetention, err = durationIn(v, 24*time.Hour, 90*24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_SHUTDOWN_TIMEOUT", Default: "30s",
		Doc: "On SIGTERM or Ctrl-C, how long running requests and jobs get to finish before they are cancelled.",
		apply: func(c *Config, v string) (err error) {
			c.ShutdownTimeout, err = durationIn(v, 0, time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_METRICS_TOKEN", Secret: true,
		Doc: "Bearer token that lets a Prometheus server read /metrics from anywhere; when set, /metrics answers no request without it, on either listener. Without it, /metrics on the main listener answers only requests from loopback that carry no forwarding header (X-Forwarded-For, Forwarded, X-Real-IP), and on KEEPSTAR_METRICS_LISTEN every request that reaches it.",
		apply: func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("must have at least 16 characters")
			}
			c.MetricsToken = v
			return nil
		}},
	{Name: "KEEPSTAR_METRICS_LISTEN",
		Doc: "Address and port of a listener of its own for /metrics, such as `127.0.0.1:9090` or an address on a private network that only Prometheus reaches; every mode serves it, workers too. When set, /metrics is served there only, and the main listener answers it with 404. Empty: /metrics is on the main listener (see docs/operations.md for what protects it there).",
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("must be HOST:PORT, as in 127.0.0.1:9090: %w", err)
			}
			c.MetricsListen = v
			return nil
		}},
	{Name: "KEEPSTAR_RATE_LIMIT_IP_MAX", Default: "0",
		Doc: "Requests one client address may make in each window of KEEPSTAR_RATE_LIMIT_IP_WINDOW, on any page or API but /healthz, /readyz and /metrics; beyond it the answer is 429 (Neucore's NEUCORE_RATE_LIMIT_MAX). 0 turns the limit off. Counted in each process's memory; IPv6 addresses count by /64.",
		apply: func(c *Config, v string) (err error) {
			c.RateLimitIPMax, err = intIn(v, 0, 1_000_000_000)
			return err
		}},
	{Name: "KEEPSTAR_RATE_LIMIT_IP_WINDOW", Default: "1m",
		Doc: "Length of the per-address rate limit's window (Go duration, 1s to 24h; Neucore's NEUCORE_RATE_LIMIT_TIME). A window begins with an address's first request.",
		apply: func(c *Config, v string) (err error) {
			c.RateLimitIPWindow, err = durationIn(v, time.Second, 24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES", Default: "20",
		Doc: "Failed authentications of the Application API (a wrong, unknown or malformed app secret) one client address may make in each window of KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES_WINDOW; beyond them its Application API requests are refused with 429 and Retry-After until the window ends, before any database read or hash (a right secret from that address included). Successful requests are not counted. 0 turns the limit off. Counted in each process's memory, by client address as the per-address limit reads it (KEEPSTAR_TRUSTED_PROXIES); IPv6 addresses count by /64.",
		apply: func(c *Config, v string) (err error) {
			c.AppAuthFailuresMax, err = intIn(v, 0, 1_000_000_000)
			return err
		}},
	{Name: "KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES_WINDOW", Default: "1m",
		Doc: "Length of the window of KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES (Go duration, 1s to 24h). A window begins with an address's first failure.",
		apply: func(c *Config, v string) (err error) {
			c.AppAuthFailuresWindow, err = durationIn(v, time.Second, 24*time.Hour)
			return err
		}},
	{Name: "KEEPSTAR_TRUSTED_PROXIES",
		Doc: "Reverse proxies whose X-Forwarded-For header names the client, for the per-address rate limits: comma-separated addresses or CIDR prefixes, e.g. `127.0.0.1,10.0.0.0/8`. A request from anywhere else counts against its own address, whatever the header says. Empty: no proxy is trusted.",
		apply: func(c *Config, v string) (err error) {
			c.TrustedProxies, err = parsePrefixes(v)
			return err
		}},
}

// parsePrefixes reads comma-separated addresses (as one-address prefixes)
// and CIDR prefixes.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func absoluteURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("not a valid URL: %w", redactURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q must be an absolute http:// or https:// URL", v)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q may not have a query or fragment", v)
	}
	return u, nil
}

// parseSchedules reads KEEPSTAR_JOB_SCHEDULES: name=duration pairs, where
// the duration is at least a minute (the scheduler's tick) or "off".
func parseSchedules(v string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for pair := range strings.SplitSeq(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, every, ok := strings.Cut(pair, "=")
		name, every = strings.TrimSpace(name), strings.TrimSpace(every)
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not name=duration", pair)
		}
		if _, twice := out[name]; twice {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		if every == "off" {
			out[name] = 0
			continue
		}
		d, err := durationIn(every, time.Minute, 30*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = d
	}
	return out, nil
}

func intIn(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return n, nil
}

func durationIn(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s, 5m or 1h", v)
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("%s is outside %s..%s", d, lo, hi)
	}
	return d, nil
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	sort.Strings(allowed)
	return fmt.Errorf("%q must be one of %s", v, strings.Join(allowed, ", "))
}
