package sessions_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// clock is a test's time, moved by the test while servers read it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// accounts are the tests' members: characters 1 and 2, and 3. A request
// acts for the one its "as" value names, the member by default.
var accounts = map[string]sessions.Owners{"": {1: "owner-1", 2: "owner-2"}, "stranger": {3: "owner-3"}}

// sessionServer serves a few handlers that use the session, behind the
// manager's Handler as the web server mounts pages.
func sessionServer(t *testing.T, m *sessions.Manager) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /put", func(w http.ResponseWriter, r *http.Request) {
		m.Update(r.Context(), func(d *sessions.Data) { d.Flashes = append(d.Flashes, r.FormValue("v")) })
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(m.Get(r.Context()).Flashes, ","))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.FormValue("character"))
		if err := m.LogIn(r.Context(), int32(id), r.FormValue("owner")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /destroy", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		list, err := m.List(r.Context(), accounts[r.FormValue("as")])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, s := range list {
			fmt := s.ID + " " + strconv.Itoa(int(s.CharacterID)) + " " + s.Browser + " " + s.System + " " + s.Address
			if s.Current {
				fmt += " current"
			}
			io.WriteString(w, fmt+"\n")
		}
	})
	mux.HandleFunc("POST /end", func(w http.ResponseWriter, r *http.Request) {
		found, current, err := m.End(r.Context(), accounts[r.FormValue("as")], r.FormValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, strconv.FormatBool(found)+" "+strconv.FormatBool(current))
	})
	mux.HandleFunc("POST /end-all", func(w http.ResponseWriter, r *http.Request) {
		n, err := m.EndAll(r.Context(), accounts[r.FormValue("as")], r.FormValue("keep") == "yes")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, strconv.Itoa(n))
	})
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request with the session token (none when empty) and gives
// the answer's body and its session cookie (nil when it set none).
func call(t *testing.T, srv *httptest.Server, m *sessions.Manager, method, path, token string, form url.Values) (string, *http.Cookie) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: token})
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == m.CookieName() {
			if cookie != nil {
				t.Fatalf("%s %s set the session cookie twice", method, path)
			}
			cookie = c
		}
	}
	return string(body), cookie
}

func lastSeen(t *testing.T, db *store.DB, token string) time.Time {
	t.Helper()
	var seen time.Time
	if err := db.QueryRow(context.Background(), "SELECT last_seen FROM sessions WHERE token_hash = $1", sha256Hex(token)).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	return seen
}

func newManager(db *store.DB, c *clock, secure bool) *sessions.Manager {
	return sessions.NewManager(sessions.NewStore(db), sessions.Options{Lifetime: 12 * time.Hour, IdleTimeout: idle,
		Secure: secure, Now: c.Now})
}

func TestSessionOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		c := &clock{now: t0}
		m := newManager(db, c, false)
		srv := sessionServer(t, m)

		// A request that does not change the session creates none.
		if _, ck := call(t, srv, m, "GET", "/get", "", nil); ck != nil {
			t.Fatalf("an unused session set a cookie: %v", ck)
		}
		// Nor does a cookie naming no session.
		if _, ck := call(t, srv, m, "GET", "/get", "made-up", nil); ck != nil {
			t.Fatalf("an unknown token set a cookie: %v", ck)
		}
		if n := countSessions(t, db); n != 0 {
			t.Fatalf("%d rows after an unused session", n)
		}

		_, ck := call(t, srv, m, "POST", "/put", "", url.Values{"v": {"Ishukone Watch"}})
		if ck == nil || len(ck.Value) < 43 {
			t.Fatalf("Update set session cookie %v, want a token of 256 bits", ck)
		}
		if ck.Name != "keepstar_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.Domain != "" {
			t.Errorf("cookie %s: want keepstar_session, HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure", ck)
		}
		if ck.MaxAge != int((12 * time.Hour).Seconds()) {
			t.Errorf("cookie Max-Age %d, want the 12h lifetime (persistent)", ck.MaxAge)
		}
		first := ck.Value
		assertTokenNotStored(t, db, first)

		// Reading the session back writes neither a cookie nor the row.
		before := rawRows(t, db)
		body, ck := call(t, srv, m, "GET", "/get", first, nil)
		if body != "Ishukone Watch" {
			t.Fatalf("read back %q", body)
		}
		if ck != nil {
			t.Errorf("a read set the cookie again: %v", ck)
		}
		if after := rawRows(t, db); len(after) != 1 || string(after[0].data) != string(before[0].data) {
			t.Errorf("a read changed the row: %+v, then %+v", before, after)
		}

		// A login moves the session to a new token, with its data; the
		// old token is worth nothing (fixation).
		_, ck = call(t, srv, m, "POST", "/login", first, url.Values{"character": {"1"}, "owner": {"owner-1"}})
		if ck == nil || ck.Value == "" || ck.Value == first {
			t.Fatalf("LogIn set cookie %v, want a new token", ck)
		}
		second := ck.Value
		if body, _ := call(t, srv, m, "GET", "/get", first, nil); body != "" {
			t.Errorf("the old token still reads %q", body)
		}
		if body, _ := call(t, srv, m, "GET", "/get", second, nil); body != "Ishukone Watch" {
			t.Errorf("the new token reads %q", body)
		}
		if n := countSessions(t, db); n != 1 {
			t.Errorf("%d rows after the login, want 1", n)
		}
		assertTokenNotStored(t, db, second)
		var character int64
		if err := db.QueryRow(context.Background(), "SELECT character_id FROM sessions").Scan(&character); err != nil || character != 1 {
			t.Errorf("the row names character %d (%v), want 1", character, err)
		}

		// Destroy deletes the row and tells the browser to drop the cookie.
		_, ck = call(t, srv, m, "POST", "/destroy", second, nil)
		if ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
			t.Errorf("Destroy set cookie %v, want it cleared", ck)
		}
		if n := countSessions(t, db); n != 0 {
			t.Errorf("%d rows after Destroy, want 0", n)
		}
		if body, _ := call(t, srv, m, "GET", "/get", second, nil); body != "" {
			t.Errorf("the destroyed session still reads %q", body)
		}
	})
}

// A session not used for the idle timeout ends; one in use lives on, with
// its activity written at most every TouchEvery, until its lifetime ends.
func TestIdleTimeoutWithCoarseActivity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		c := &clock{now: t0}
		m := newManager(db, c, false)
		srv := sessionServer(t, m)
		_, ck := call(t, srv, m, "POST", "/put", "", url.Values{"v": {"x"}})
		token := ck.Value

		// Used within TouchEvery: nothing is written.
		c.Set(t0.Add(sessions.TouchEvery - time.Second))
		if body, _ := call(t, srv, m, "GET", "/get", token, nil); body != "x" {
			t.Fatalf("read %q", body)
		}
		if seen := lastSeen(t, db, token); !seen.Equal(t0) {
			t.Fatalf("last seen %v after a read within %v: written too often", seen, sessions.TouchEvery)
		}
		// Used after TouchEvery: the activity is recorded, once.
		at := t0.Add(sessions.TouchEvery)
		c.Set(at)
		call(t, srv, m, "GET", "/get", token, nil)
		if seen := lastSeen(t, db, token); !seen.Equal(at) {
			t.Fatalf("last seen %v, want %v", seen, at)
		}
		// Kept in use, it outlives the idle timeout from its creation...
		for at.Sub(t0) < 3*idle {
			at = at.Add(idle - time.Second)
			c.Set(at)
			if body, _ := call(t, srv, m, "GET", "/get", token, nil); body != "x" {
				t.Fatalf("the session in use ended at %v", at.Sub(t0))
			}
		}
		// ...and ends once left idle.
		c.Set(lastSeen(t, db, token).Add(idle))
		if body, _ := call(t, srv, m, "GET", "/get", token, nil); body != "" {
			t.Fatalf("an idle session still reads %q", body)
		}

		// However active, a session ends at its lifetime.
		c.Set(t0)
		_, ck = call(t, srv, m, "POST", "/put", "", url.Values{"v": {"y"}})
		for at = t0; at.Before(t0.Add(12 * time.Hour)); at = at.Add(idle / 2) {
			c.Set(at)
			if body, _ := call(t, srv, m, "GET", "/get", ck.Value, nil); body != "y" {
				t.Fatalf("the active session ended at %v", at.Sub(t0))
			}
		}
		c.Set(t0.Add(12 * time.Hour))
		if body, _ := call(t, srv, m, "GET", "/get", ck.Value, nil); body != "" {
			t.Fatalf("a session past its lifetime still reads %q", body)
		}
	})
}

// On an https site the cookie is Secure and carries the __Host- prefix, so
// no other host of the domain can plant one.
func TestSecureCookieHasHostPrefix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		m := newManager(db, &clock{now: t0}, true)
		srv := sessionServer(t, m)
		_, ck := call(t, srv, m, "POST", "/put", "", url.Values{"v": {"x"}})
		if ck == nil || ck.Name != "__Host-keepstar_session" || !ck.Secure || ck.Path != "/" || ck.Domain != "" ||
			!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %v: want __Host-keepstar_session, Secure, Path=/, no Domain, HttpOnly, SameSite=Lax", ck)
		}
		if body, _ := call(t, srv, m, "GET", "/get", ck.Value, nil); body != "x" {
			t.Fatalf("read %q", body)
		}
	})
}

// A member's sessions: listed with the current one marked, ended one by
// one, all but the current, or all; never another member's.
func TestListAndEndSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		c := &clock{now: t0}
		m := newManager(db, c, false)
		srv := sessionServer(t, m)
		login := func(character, owner string) string {
			t.Helper()
			c.Set(c.Now().Add(time.Second)) // listed oldest first
			_, ck := call(t, srv, m, "POST", "/login", "", url.Values{"character": {character}, "owner": {owner}})
			return ck.Value
		}
		here := login("1", "owner-1")
		phone := login("1", "owner-1")
		alt := login("2", "owner-2")
		stranger := login("3", "owner-3")
		sold := login("2", "former-owner") // character 2 before it changed hands
		call(t, srv, m, "POST", "/put", "", url.Values{"v": {"a visitor"}})

		body, _ := call(t, srv, m, "GET", "/list", here, nil)
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) != 3 || !strings.HasSuffix(lines[0], " 1 Firefox Linux 127.0.0.0/24 current") ||
			strings.Contains(lines[1], "current") || !strings.Contains(lines[2], " 2 Firefox Linux ") {
			t.Fatalf("list:\n%s", body)
		}
		idOf := func(line string) string { return strings.Fields(line)[0] }
		phoneID := idOf(lines[1])

		// Another member cannot end these sessions, by id or all at once.
		if body, _ := call(t, srv, m, "POST", "/end", stranger, url.Values{"id": {phoneID}, "as": {"stranger"}}); body != "false false" {
			t.Fatalf("a stranger ending the member's session: %q", body)
		}
		if body, _ := call(t, srv, m, "POST", "/end-all", stranger, url.Values{"keep": {"yes"}, "as": {"stranger"}}); body != "0" {
			t.Fatalf("a stranger ending all others ended %q, want 0", body)
		}
		if _, err := sessions.NewStore(db).Find(context.Background(), phone, t0, t0.Add(-idle)); err != nil {
			t.Fatalf("the phone's session after the stranger's attempts: %v", err)
		}
		if body, _ := call(t, srv, m, "POST", "/end", here, url.Values{"id": {"not-a-session"}}); body != "false false" {
			t.Fatalf("ending an unknown id: %q", body)
		}

		if body, _ := call(t, srv, m, "POST", "/end", here, url.Values{"id": {idOf(lines[2])}}); body != "true false" {
			t.Fatalf("ending the alt's session: %q", body)
		}
		if body, _ := call(t, srv, m, "GET", "/get", alt, nil); body != "" {
			t.Fatal("the ended session still reads")
		}
		if _, err := sessions.NewStore(db).Find(context.Background(), alt, t0, t0.Add(-idle)); err == nil {
			t.Fatal("the ended session's row is still there")
		}

		if body, _ := call(t, srv, m, "POST", "/end-all", here, url.Values{"keep": {"yes"}}); body != "1" {
			t.Fatalf("ending the others ended %q, want 1 (the phone)", body)
		}
		body, _ = call(t, srv, m, "GET", "/list", here, nil)
		if lines := strings.Split(strings.TrimSpace(body), "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "current") {
			t.Fatalf("after ending the others:\n%s", body)
		}
		_, ck := call(t, srv, m, "POST", "/end-all", here, nil)
		if ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("ending all kept the cookie: %v", ck)
		}
		// Left: the stranger's, the former owner's and the visitor's.
		if n := countSessions(t, db); n != 3 {
			t.Fatalf("%d rows left, want 3", n)
		}
		if _, err := sessions.NewStore(db).Find(context.Background(), sold, t0, t0.Add(-idle)); err != nil {
			t.Fatalf("the former owner's session is not the member's to end: %v", err)
		}
	})
}

func TestNetworkAndAgent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.77":          "203.0.113.0/24",
		"::ffff:203.0.113.77":   "203.0.113.0/24",
		"2001:db8:1234:5678::1": "2001:db8:1234::/48",
		"fe80::1%eth0":          "fe80::/48",
		"":                      "",
	} {
		a, _ := netip.ParseAddr(in)
		if got := sessions.Network(a); got != want {
			t.Errorf("Network(%q) = %q, want %q", in, got, want)
		}
	}
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36":                         "Chrome/Windows",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0":               "Edge/Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1": "Safari/iOS",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7; rv:140.0) Gecko/20100101 Firefox/140.0":                                                  "Firefox/macOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36":                                "Chrome/Android",
		"curl/8.5.0": "/",
		"":           "/",
	} {
		if got := sessions.Agent(ua); got != want {
			t.Errorf("Agent(%q) = %q, want %q", ua, got, want)
		}
	}
}
