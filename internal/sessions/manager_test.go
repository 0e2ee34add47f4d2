package sessions_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// sessionServer serves a few handlers that use the session, behind
// LoadAndSave as the web server will.
func sessionServer(t *testing.T, m *scs.SessionManager) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /put", func(w http.ResponseWriter, r *http.Request) {
		m.Put(r.Context(), "character", r.FormValue("v"))
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, m.GetString(r.Context(), "character"))
	})
	mux.HandleFunc("POST /renew", func(w http.ResponseWriter, r *http.Request) {
		if err := m.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /destroy", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(m.LoadAndSave(mux))
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request with the session token (none when empty) and gives
// the answer's body and its session cookie (nil when it set none).
func call(t *testing.T, srv *httptest.Server, method, path, token string, form url.Values) (string, *http.Cookie) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessions.CookieName, Value: token})
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
		if c.Name == sessions.CookieName {
			if cookie != nil {
				t.Fatalf("%s %s set the session cookie twice", method, path)
			}
			cookie = c
		}
	}
	return string(body), cookie
}

func TestSessionOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := sessions.NewStore(db, nil)
		srv := sessionServer(t, sessions.NewManager(st, 12*time.Hour, false))

		// A request that does not touch the session creates none.
		if _, c := call(t, srv, "GET", "/get", "", nil); c != nil {
			t.Fatalf("an unused session set a cookie: %v", c)
		}
		if n := countSessions(t, db); n != 0 {
			t.Fatalf("%d rows after an unused session", n)
		}

		_, c := call(t, srv, "POST", "/put", "", url.Values{"v": {"Ishukone Watch"}})
		if c == nil || c.Value == "" {
			t.Fatal("Put set no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie %s: want HttpOnly, SameSite=Lax, Path=/, not Secure", c)
		}
		if c.MaxAge <= 0 || c.MaxAge > int((12*time.Hour).Seconds())+1 {
			t.Errorf("cookie Max-Age %d, want the 12h lifetime (persistent)", c.MaxAge)
		}
		first := c.Value
		assertTokenNotStored(t, db, first)

		// Reading the session back writes neither a cookie nor the row:
		// there is no idle timeout to push on.
		before := rawRows(t, db)
		body, c := call(t, srv, "GET", "/get", first, nil)
		if body != "Ishukone Watch" {
			t.Fatalf("read back %q", body)
		}
		if c != nil {
			t.Errorf("a read set the cookie again: %v", c)
		}
		if after := rawRows(t, db); len(after) != 1 || !after[0].expiry.Equal(before[0].expiry) {
			t.Errorf("a read changed the row: %+v, then %+v", before, after)
		}

		// RenewToken moves the session to a new token; the old one is gone.
		_, c = call(t, srv, "POST", "/renew", first, nil)
		if c == nil || c.Value == "" || c.Value == first {
			t.Fatalf("RenewToken set cookie %v, want a new token", c)
		}
		second := c.Value
		if _, found, err := st.FindCtx(ctx, first); err != nil || found {
			t.Errorf("the old token still finds a session (err %v)", err)
		}
		if body, _ := call(t, srv, "GET", "/get", first, nil); body != "" {
			t.Errorf("the old token still reads %q", body)
		}
		if body, _ := call(t, srv, "GET", "/get", second, nil); body != "Ishukone Watch" {
			t.Errorf("the new token reads %q", body)
		}
		if n := countSessions(t, db); n != 1 {
			t.Errorf("%d rows after RenewToken, want 1", n)
		}
		assertTokenNotStored(t, db, second)

		// Destroy deletes the row and tells the browser to drop the cookie.
		_, c = call(t, srv, "POST", "/destroy", second, nil)
		if c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("Destroy set cookie %v, want it cleared", c)
		}
		if n := countSessions(t, db); n != 0 {
			t.Errorf("%d rows after Destroy, want 0", n)
		}
		if body, _ := call(t, srv, "GET", "/get", second, nil); body != "" {
			t.Errorf("the destroyed session still reads %q", body)
		}
	})
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		m := sessions.NewManager(sessions.NewStore(db, nil), time.Hour, true)
		srv := sessionServer(t, m)
		_, c := call(t, srv, "POST", "/put", "", url.Values{"v": {"x"}})
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %v: want Secure, HttpOnly, SameSite=Lax", c)
		}
		if m.IdleTimeout != 0 {
			t.Errorf("IdleTimeout %v: every request would write its session", m.IdleTimeout)
		}
	})
}
