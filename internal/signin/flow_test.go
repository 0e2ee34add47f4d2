package signin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// each runs a test on a site over each engine.
func each(t *testing.T, opts sitetest.Options, fn func(t *testing.T, site *sitetest.Site)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			o := opts
			o.Dialect = d
			fn(t, sitetest.Start(t, o))
		})
	}
}

// count reads one number from the site's database.
func count(t *testing.T, site *sitetest.Site, query string, args ...any) int {
	t.Helper()
	var n int
	if err := site.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFirstLoginCreatesAccountAndLoginAgainLogsIn(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		chars := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		p := b.LogIn(t, chars[0])
		name := mustCharacter(t, site, chars[0])
		if !strings.Contains(p.Body, "Welcome! Your account was created with "+htmlName(name)) {
			t.Errorf("no welcome message:\n%s", p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM accounts`); n != 1 {
			t.Fatalf("%d accounts after the first login", n)
		}
		if n := count(t, site, `SELECT count(*) FROM characters WHERE id = $1 AND main`, chars[0]); n != 1 {
			t.Fatal("the character is not its account's main")
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1 AND login = 'core.default' AND validity = 'valid'`, chars[0]); n != 1 {
			t.Fatal("no core.default token stored")
		}
		// Its corporation and alliance were looked up at login.
		if n := count(t, site, `SELECT count(*) FROM characters c JOIN eve_corporations co ON co.id = c.corporation_id WHERE c.id = $1`, chars[0]); n != 1 {
			t.Error("the corporation was not looked up at login")
		}

		// Log out, log in again: same account.
		b.Post(t, "/logout", nil)
		if p := b.Get(t, "/dashboard"); !strings.HasSuffix(strings.Split(p.URL, "?")[0], "/") {
			t.Fatalf("dashboard after logout ended at %s", p.URL)
		}
		b.LogIn(t, chars[0])
		if n := count(t, site, `SELECT count(*) FROM accounts`); n != 1 {
			t.Errorf("%d accounts after logging in again", n)
		}
	})
}

func TestSessionRenewedAtLoginEndedAtLogoutKeptAcrossRestart(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		chars := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		// A visitor's session (one holding a message, say) whose token an
		// attacker planted or saw: the login must replace the token.
		const before = "token-known-before-the-login"
		data, _ := json.Marshal(sessions.Data{Flashes: []string{"info\x00planted"}})
		now := time.Now()
		if err := sessions.NewStore(site.DB).Insert(t.Context(), before, sessions.Row{Data: data, Created: now, LastSeen: now,
			Expiry: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(site.URL)
		b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: sessions.CookieName, Value: before}})
		b.LogIn(t, chars[0])
		after := b.Cookie(sessions.CookieName)
		if after == "" || after == before {
			t.Fatalf("session token not renewed at login: %q then %q", before, after)
		}
		if n := count(t, site, `SELECT count(*) FROM sessions`); n != 1 {
			t.Fatalf("%d session rows after the login, want the renewed one only", n)
		}

		// The session survives a restart of the process.
		site.Restart()
		if p := b.Get(t, "/dashboard"); p.Status != 200 || !strings.HasSuffix(p.URL, "/dashboard") {
			t.Fatalf("after a restart the dashboard ended at %s (%d)", p.URL, p.Status)
		}

		// Logout ends the session on the server: the old cookie is worth
		// nothing, even sent again by someone who kept it.
		stolen := site.NewBrowser(t)
		stolen.Client.Jar.SetCookies(u, []*http.Cookie{{Name: sessions.CookieName, Value: after}})
		if p := stolen.Get(t, "/api/me"); p.Status != 200 {
			t.Fatalf("copied cookie before logout: %d", p.Status)
		}
		b.Post(t, "/logout", nil)
		if p := stolen.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
			t.Fatalf("copied cookie after logout: %d %s", p.Status, p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM sessions WHERE expiry > CURRENT_TIMESTAMP`); n != 0 {
			t.Errorf("%d sessions left after logout", n)
		}
	})
}

func mustCharacter(t *testing.T, site *sitetest.Site, id int32) string {
	t.Helper()
	c, err := site.Sim.Universe.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Name
}

// htmlName is a name as html/template writes it.
func htmlName(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

var _ = config.SQLite
