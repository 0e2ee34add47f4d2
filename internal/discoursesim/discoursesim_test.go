package discoursesim

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const secret = "sim-secret-0123456789"

// clock is a test's time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, o Options) (*Server, *httptest.Server, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o.Secret, o.APIKey, o.ConnectURL, o.Now = secret, "key", "https://keepstar.example/services/forum/sso", c.now
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.o.BaseURL = ts.URL
	return s, ts, c
}

// browser is a client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// begin starts a login and gives the request's nonce.
func begin(t *testing.T, b *http.Client, base string) string {
	t.Helper()
	res, err := b.Get(base + "/session/sso")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	q := loc.Query()
	if q.Get("sig") != Sign(secret, q.Get("sso")) {
		t.Fatalf("the request's signature is wrong: %s", loc)
	}
	raw, _ := base64.StdEncoding.DecodeString(q.Get("sso"))
	p, _ := url.ParseQuery(string(raw))
	if p.Get("return_sso_url") != base+"/session/sso_login" || p.Get("nonce") == "" {
		t.Fatalf("payload %v", p)
	}
	return p.Get("nonce")
}

func answer(p url.Values, key string) string {
	sso := base64.StdEncoding.EncodeToString([]byte(p.Encode()))
	return url.Values{"sso": {sso}, "sig": {Sign(key, sso)}}.Encode()
}

func status(t *testing.T, b *http.Client, u string) int {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func TestLoginRules(t *testing.T) {
	s, ts, c := start(t, Options{})
	b := browser(t)
	user := url.Values{"external_id": {"7"}, "email": {"7@users.example"}, "username": {"Some_Pilot"}, "name": {"Some Pilot"}}
	with := func(n string) url.Values {
		p := url.Values{"nonce": {n}}
		for k, v := range user {
			p[k] = v
		}
		return p
	}
	n := begin(t, b, ts.URL)
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(with(n), "wrong-secret-0123456")); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong signature: %d", st)
	}
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(with("made-up"), secret)); st != http.StatusForbidden {
		t.Fatalf("unknown nonce: %d", st)
	}
	// Another browser cannot use this browser's nonce.
	if st := status(t, browser(t), ts.URL+"/session/sso_login?"+answer(with(n), secret)); st != http.StatusForbidden {
		t.Fatalf("another browser's nonce: %d", st)
	}
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(with(n), secret)); st != http.StatusFound {
		t.Fatalf("a good answer: %d", st)
	}
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(with(n), secret)); st != http.StatusForbidden {
		t.Fatalf("a replay: %d", st)
	}
	n = begin(t, b, ts.URL)
	c.add(11 * time.Minute)
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(with(n), secret)); st != http.StatusForbidden {
		t.Fatalf("an expired nonce: %d", st)
	}
	n = begin(t, b, ts.URL)
	bad := with(n)
	bad.Set("external_id", "8")
	bad.Set("email", "8@users.example")
	bad.Set("username", "Bad Name")
	if st := status(t, b, ts.URL+"/session/sso_login?"+answer(bad, secret)); st != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid username: %d", st)
	}
	sso := "bm9uY2U9!"
	if st := status(t, b, ts.URL+"/session/sso_login?"+url.Values{"sso": {sso}, "sig": {Sign(secret, sso)}}.Encode()); st != http.StatusUnprocessableEntity {
		t.Fatalf("not base64: %d", st)
	}
	if us := s.Users(); len(us) != 1 || us[0].Username != "Some_Pilot" || !us[0].Active {
		t.Fatalf("users %+v", us)
	}
}

func adminDo(t *testing.T, ts *httptest.Server, method, path, key string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Api-Key", key)
	req.Header.Set("Api-Username", "system")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestAdminAPI(t *testing.T) {
	s, ts, c := start(t, Options{AdminMax: 3, AdminWindow: time.Minute})
	if err := s.AddGroup("Pilots"); err != nil {
		t.Fatal(err)
	}
	if res := adminDo(t, ts, "GET", "/groups.json", "wrong", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a wrong key: %d", res.StatusCode)
	}
	p := url.Values{"external_id": {"9"}, "email": {"9@users.example"}, "username": {"Nine"}, "add_groups": {"Pilots,trust_level_4,Nope"},
		"admin": {"true"}}
	sso := base64.StdEncoding.EncodeToString([]byte(p.Encode()))
	if res := adminDo(t, ts, "POST", "/admin/users/sync_sso", "key", url.Values{"sso": {sso}, "sig": {Sign(secret, sso)}}); res.StatusCode != http.StatusOK {
		t.Fatalf("sync_sso: %d", res.StatusCode)
	}
	u, _ := s.UserByExternal("9")
	if len(u.Groups) != 1 || u.Groups[0] != "Pilots" || !u.Admin {
		t.Fatalf("after sync_sso %+v", u)
	}
	if res := adminDo(t, ts, "PUT", "/admin/users/1/suspend", "key", url.Values{"suspend_until": {"3000-01-01"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("suspend without a reason: %d", res.StatusCode)
	}
	if res := adminDo(t, ts, "GET", "/groups.json", "key", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the 3rd admin request: %d", res.StatusCode)
	}
	res := adminDo(t, ts, "GET", "/groups.json", "key", nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the 4th admin request in a minute: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	c.add(time.Minute)
	if res := adminDo(t, ts, "GET", "/users/by-external/9.json", "key", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %d", res.StatusCode)
	}
	if res := adminDo(t, ts, "GET", "/users/by-external/10.json", "key", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown external id: %d", res.StatusCode)
	}
}

func TestUsernameRules(t *testing.T) {
	for name, ok := range map[string]bool{"abc": true, "a_b.c-d": true, "_abc": true, "ab": false, "abc_": false, "a__b": false,
		"abc.json": false, "abcdefghijklmnopqrstu": false, "ab c": false, "abö": false, ".abc": false} {
		if got := CheckUsername(name) == ""; got != ok {
			t.Errorf("CheckUsername(%q): valid %v, want %v", name, got, ok)
		}
	}
}

// Requests without an admin key count per address: the next past the
// limit gets 429 with Retry-After; a used nonce is remembered a day, then
// forgotten (and refused as unknown all the same).
func TestPerAddressLimitAndNonceMemory(t *testing.T) {
	s, ts, c := start(t, Options{IPMax: 3, IPWindow: 10 * time.Second})
	b := browser(t)
	for i := range 3 {
		if st := status(t, b, ts.URL+"/"); st != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, st)
		}
	}
	res, err := b.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "10" {
		t.Fatalf("the 4th in 10 s: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	c.add(10 * time.Second)
	n := begin(t, b, ts.URL)
	s.mu.Lock()
	s.nonces[n].used = c.now()
	s.mu.Unlock()
	c.add(23 * time.Hour)
	s.mu.Lock()
	s.forget(c.now())
	_, kept := s.nonces[n]
	s.mu.Unlock()
	if !kept {
		t.Fatal("a used nonce was forgotten within 24 h")
	}
	c.add(2 * time.Hour)
	s.mu.Lock()
	s.forget(c.now())
	_, kept = s.nonces[n]
	s.mu.Unlock()
	if kept {
		t.Fatal("a used nonce is kept past 24 h")
	}
}
