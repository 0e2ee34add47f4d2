package signin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/sitetest"
)

const (
	firefoxLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	chromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
	sessionCookie  = "keepstar_session"
	pendingCookieN = "keepstar_sso"
)

// Clicking "Log in" writes nothing on the server: the pending login lives
// in a sealed cookie, not in a session row (issue 12, abuse 6). A flood of
// anonymous GET /sso/login leaves the sessions table empty.
func TestStartingALoginWritesNoSession(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		for range 20 {
			res, err := http.DefaultTransport.RoundTrip(mustRequest(t, site.URL+"/sso/login"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("GET /sso/login: %d", res.StatusCode)
			}
			for _, c := range res.Cookies() {
				if c.Name == sessionCookie {
					t.Fatalf("GET /sso/login set a session cookie: %v", c)
				}
			}
		}
		if n := count(t, site, `SELECT count(*) FROM sessions`); n != 0 {
			t.Fatalf("20 anonymous login starts wrote %d session rows", n)
		}

		// The login started so still completes, and only then is there a
		// session.
		b := site.NewBrowser(t)
		b.LogIn(t, site.AccountCharacters(t, 1)[0])
		if b.Cookie(pendingCookieN) != "" {
			t.Error("the pending login's cookie outlived the login")
		}
		if n := count(t, site, `SELECT count(*) FROM sessions`); n != 1 {
			t.Fatalf("%d session rows after one login", n)
		}
	})
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// On an https site every cookie Keepstar sets carries the __Host- prefix:
// Secure, for the whole site, for this host only.
func TestHTTPSSiteCookiesHaveHostPrefix(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Env: map[string]string{"KEEPSTAR_BASE_URL": "https://auth.example.org"}})
	res, err := http.DefaultTransport.RoundTrip(mustRequest(t, site.URL+"/sso/login"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(res.Cookies()) == 0 {
		t.Fatalf("GET /sso/login set no cookie (%d)", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
			t.Errorf("cookie %s: want the __Host- prefix, Secure, Path=/, no Domain, HttpOnly", c)
		}
	}
}

// A login not used for the idle timeout ends; one in use records its
// activity, at most every five minutes, and lives on.
func TestIdleSessionEnds(t *testing.T) {
	each(t, sitetest.Options{Env: map[string]string{"KEEPSTAR_SESSION_IDLE_TIMEOUT": "15m"}}, func(t *testing.T, site *sitetest.Site) {
		b := site.NewBrowser(t)
		b.LogIn(t, site.AccountCharacters(t, 1)[0])
		lastSeen := func() time.Time {
			t.Helper()
			var seen time.Time
			if err := site.DB.QueryRow(t.Context(), `SELECT last_seen FROM sessions`).Scan(&seen); err != nil {
				t.Fatal(err)
			}
			return seen
		}
		setLastSeen := func(at time.Time) {
			t.Helper()
			if _, err := site.DB.Exec(t.Context(), `UPDATE sessions SET last_seen = $1`, at); err != nil {
				t.Fatal(err)
			}
		}

		// Seen a minute ago: nothing to write.
		setLastSeen(time.Now().Add(-time.Minute))
		before := lastSeen()
		if p := b.Get(t, "/api/me"); p.Status != 200 {
			t.Fatalf("/api/me: %d", p.Status)
		}
		if !lastSeen().Equal(before) {
			t.Error("a request a minute after the last wrote the session's activity")
		}
		// Seen 14 minutes ago: still live, and its activity is recorded.
		setLastSeen(time.Now().Add(-14 * time.Minute))
		if p := b.Get(t, "/api/me"); p.Status != 200 {
			t.Fatalf("/api/me 14 minutes idle: %d", p.Status)
		}
		if seen := lastSeen(); time.Since(seen) > time.Minute {
			t.Errorf("activity not recorded: last seen %v", seen)
		}
		// Idle past the timeout: logged out.
		setLastSeen(time.Now().Add(-16 * time.Minute))
		if p := b.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
			t.Fatalf("/api/me 16 minutes idle: %d, want 401", p.Status)
		}
	})
}

var sessionRow = regexp.MustCompile(`<tr data-session="([^"]+)"( data-current="true")?`)

// sessionIDs reads the sessions page: the ids listed, and the current one.
func sessionIDs(t *testing.T, b *sitetest.Browser) (ids []string, current string) {
	t.Helper()
	body := b.Expect(t, "member", "/sessions", nil, 200)
	for _, m := range sessionRow.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
		if m[2] != "" {
			current = m[1]
		}
	}
	return ids, current
}

func other(ids []string, not string) string {
	for _, id := range ids {
		if id != not {
			return id
		}
	}
	return ""
}

// The member's sessions page lists each browser logged in, marks the
// current one, and logs out one, all others, or all; another member can
// end none of them.
func TestSessionsPage(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		chars := site.AccountCharacters(t, 2)
		desk, phone, stranger := site.NewBrowser(t), site.NewBrowser(t), site.NewBrowser(t)
		desk.Header.Set("User-Agent", firefoxLinux)
		phone.Header.Set("User-Agent", chromeWindows)
		desk.LogIn(t, chars[0])
		phone.LogIn(t, chars[0])
		stranger.LogIn(t, chars[1])

		body := desk.Expect(t, "member", "/sessions", nil, 200, "Firefox on Linux", "Chrome on Windows", "<code>127.0.0.0/24</code>", "This browser")
		if strings.Contains(body, "<code>127.0.0.1") {
			t.Error("the page shows a full address")
		}
		ids, current := sessionIDs(t, desk)
		if len(ids) != 2 || current == "" {
			t.Fatalf("sessions %v, current %q: want 2, one current", ids, current)
		}
		phoneID := other(ids, current)
		if ids, _ := sessionIDs(t, stranger); len(ids) != 1 {
			t.Fatalf("the stranger sees %d sessions", len(ids))
		}

		// Another member cannot log the phone out.
		stranger.Expect(t, "stranger", "/sessions/"+phoneID+"/logout", url.Values{}, http.StatusNotFound)
		if p := phone.Get(t, "/api/me"); p.Status != 200 {
			t.Fatalf("the phone was logged out by a stranger: %d", p.Status)
		}
		// The member can.
		desk.Expect(t, "member", "/sessions/"+phoneID+"/logout", url.Values{}, 200, "The session was logged out.")
		if p := phone.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
			t.Fatalf("the phone after its logout: %d", p.Status)
		}

		// Everywhere else.
		phone.LogIn(t, chars[0])
		desk.Expect(t, "member", "/sessions/logout-others", url.Values{}, 200, "1 other session was logged out.")
		if p := phone.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
			t.Fatalf("the phone after logging out everywhere else: %d", p.Status)
		}
		if ids, _ := sessionIDs(t, desk); len(ids) != 1 {
			t.Fatalf("%d sessions after logging out everywhere else", len(ids))
		}

		// Everywhere, this browser too.
		phone.LogIn(t, chars[0])
		if p := desk.Post(t, "/sessions/logout-all", nil); p.Status != 200 || !strings.HasSuffix(p.URL, "/") {
			t.Fatalf("logout everywhere ended at %s (%d)", p.URL, p.Status)
		}
		for name, b := range map[string]*sitetest.Browser{"desk": desk, "phone": phone} {
			if p := b.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
				t.Errorf("%s after logging out everywhere: %d", name, p.Status)
			}
		}
		if p := stranger.Get(t, "/api/me"); p.Status != 200 {
			t.Errorf("the stranger was logged out too: %d", p.Status)
		}
		if n := count(t, site, `SELECT count(*) FROM sessions WHERE character_id = $1`, chars[0]); n != 0 {
			t.Errorf("%d sessions of the member left", n)
		}
	})
}
