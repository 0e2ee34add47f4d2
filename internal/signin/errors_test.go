package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// callbackOf runs a login up to the SSO's redirect back to the site and
// gives the callback URL, without following it.
func callbackOf(t *testing.T, site *sitetest.Site, b *sitetest.Browser, start string, characterID int32) string {
	t.Helper()
	res, err := b.Client.Get(site.URL + start)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	authorize := res.Header.Get("Location")
	if !strings.HasPrefix(authorize, site.SimURL) {
		t.Fatalf("%s did not lead to the SSO: %d %q", start, res.StatusCode, authorize)
	}
	res, err = b.Client.Get(authorize + "&character_id=" + itoa(int64(characterID)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb := res.Header.Get("Location")
	if !strings.HasPrefix(cb, site.URL+"/sso/callback") {
		t.Fatalf("the SSO answered %d %q", res.StatusCode, cb)
	}
	return cb
}

// noAccounts checks that failed logins left the database as it was.
func noAccounts(t *testing.T, site *sitetest.Site) {
	t.Helper()
	if n := count(t, site, `SELECT count(*) FROM accounts`); n != 0 {
		t.Errorf("%d accounts after failed logins", n)
	}
	if n := count(t, site, `SELECT count(*) FROM eve_tokens`); n != 0 {
		t.Errorf("%d tokens after failed logins", n)
	}
}

func TestCallbackErrorsChangeNothing(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		expect := func(name string, p sitetest.Page, status int, text string) {
			t.Helper()
			if p.Status != status || !strings.Contains(p.Body, text) {
				t.Errorf("%s: %d, want %d with %q:\n%s", name, p.Status, status, text, p.Body)
			}
			if p := b.Get(t, "/api/me"); p.Status != http.StatusUnauthorized {
				t.Errorf("%s: logged in after all (%d)", name, p.Status)
			}
		}

		// A state this browser never started.
		expect("unknown state", b.Get(t, "/sso/callback?state=forged&code=whatever"), 400, "does not match one started here")
		// No state at all.
		expect("no state", b.Get(t, "/sso/callback?code=whatever"), 400, "does not match one started here")

		// The player cancels at the SSO.
		res, err := b.Client.Get(site.URL + "/sso/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		authorize, _ := url.Parse(res.Header.Get("Location"))
		form := authorize.Query()
		form.Set("decision", "deny")
		form.Set("character_id", itoa(int64(a[0])))
		res, err = b.Client.PostForm(site.SimURL+"/v2/oauth/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		expect("cancelled", b.Get(t, res.Header.Get("Location")), 403, "did not authorize the login")

		// A callback replayed: its state was used.
		cb := callbackOf(t, site, b, "/sso/login", a[0])
		u, _ := url.Parse(cb)
		stolenCode := u.Query().Get("code")
		// Another browser replaying someone's callback has no such state.
		thief := site.NewBrowser(t)
		if p := thief.Get(t, cb); p.Status != 400 {
			t.Errorf("callback replayed in another browser: %d", p.Status)
		}
		// The owner's browser still can, once.
		if p := b.Get(t, cb); p.Status != 200 || !strings.HasSuffix(p.URL, "/dashboard") {
			t.Fatalf("genuine callback: %d at %s", p.Status, p.URL)
		}
		b.Post(t, "/logout", nil)
		if n := count(t, site, `SELECT count(*) FROM accounts`); n != 1 {
			t.Fatalf("%d accounts", n)
		}
		if p := b.Get(t, cb); p.Status != 400 {
			t.Errorf("callback replayed: %d", p.Status)
		}
		// A used code under a fresh state: the SSO refuses it.
		fresh := callbackOf(t, site, b, "/sso/login", a[0])
		fu, _ := url.Parse(fresh)
		q := fu.Query()
		q.Set("code", stolenCode)
		fu.RawQuery = q.Encode()
		expect("code used twice", b.Get(t, fu.String()), 400, "refused the login code")

		// A code that expired at the SSO (five minutes).
		late := callbackOf(t, site, b, "/sso/login", a[0])
		site.Sim.Clock.Advance(6 * time.Minute)
		expect("expired code", b.Get(t, late), 400, "refused the login code")
	})
}

func TestSSODownAndReachedElsewhere(t *testing.T) {
	each(t, sitetest.Options{}, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 1)
		b := site.NewBrowser(t)
		site.SSODown(true)
		p := b.Flow(t, "/sso/login", a[0])
		if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "cannot be reached right now") {
			t.Fatalf("SSO down: %d\n%s", p.Status, p.Body)
		}
		noAccounts(t, site)
		site.SSODown(false)
		b.LogIn(t, a[0])
	})
	// The site knows the SSO as "localhost", as a site reaching EVE through
	// a mirror or an egress proxy knows it by another name: the tokens name
	// EVE's issuer (in either of its forms) or the one the SSO's metadata
	// gives, never the address the site used, and the login succeeds.
	for name, form := range map[string]sso.IssuerForm{"EVE's issuer": sso.IssuerEVE, "EVE's older issuer": sso.IssuerEVEHost,
		"the metadata's issuer": sso.IssuerSelf} {
		t.Run("SSO reached at another address, "+name, func(t *testing.T) {
			site := sitetest.Start(t, sitetest.Options{SSOHost: "localhost", SSOIssuer: form})
			a := site.AccountCharacters(t, 1)
			b := site.NewBrowser(t)
			if p := b.Flow(t, "/sso/login", a[0]); p.Status != http.StatusOK || !strings.Contains(p.Body, `id="main-character"`) {
				t.Fatalf("login: %d\n%s", p.Status, p.Body)
			}
			if n := count(t, site, `SELECT count(*) FROM accounts`); n != 1 {
				t.Errorf("%d accounts, want 1", n)
			}
		})
	}
}

func TestTokensOfOtherLogins(t *testing.T) {
	each(t, sitetest.Options{Features: []app.Constructor{sitetest.TokenLogins}}, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 2)
		stranger := site.AccountCharacters(t, 1, a...)
		st := logins.NewStore(site.DB, nil)
		if _, err := st.Create(ctx, logins.Input{Name: "srp", Description: "SRP tool", Scopes: "esi-killmails.read_killmails.v1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Create(ctx, logins.Input{Name: "directors", Scopes: logins.RolesScope, Roles: []string{"Director"}}); err != nil {
			t.Fatal(err)
		}

		anonymous := site.NewBrowser(t)
		if p := anonymous.Get(t, "/sso/login/srp"); !strings.Contains(p.URL, "next=") || p.Status != 200 {
			t.Errorf("a token login while logged out: %d at %s", p.Status, p.URL)
		}
		if p := anonymous.Get(t, "/sso/login/no-such-login"); p.Status != 404 {
			t.Errorf("unknown login: %d", p.Status)
		}

		b := site.NewBrowser(t)
		b.LogIn(t, a[0])
		b.AddCharacter(t, a[1])
		p := b.Flow(t, "/sso/login/srp?character="+itoa(int64(a[1])), a[1])
		if p.Status != 200 || !strings.Contains(p.Body, "token of") {
			t.Fatalf("srp token: %d\n%s", p.Status, p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1 AND login = 'srp' AND scopes = 'esi-killmails.read_killmails.v1'`, a[1]); n != 1 {
			t.Fatal("srp token not stored")
		}
		if !strings.Contains(p.Body, `data-login="srp" data-state="valid"`) {
			t.Error("the tokens page does not show the new token")
		}

		// The token is asked for one character and given by another.
		p = b.Flow(t, "/sso/login/srp?character="+itoa(int64(a[0])), a[1])
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "but this login was for") {
			t.Errorf("wrong character: %d\n%s", p.Status, p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1 AND login = 'srp'`, a[0]); n != 0 {
			t.Error("a token was stored for the character not asked for")
		}
		// A character that is not on the account.
		p = b.Flow(t, "/sso/login/srp", stranger[0])
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "is not on your account") {
			t.Errorf("stranger's token: %d\n%s", p.Status, p.Body)
		}

		// A login requiring Director: refused without the role, kept with it.
		// (ESI caches a character's roles for an hour, and Keepstar never
		// asks again before: each character is checked once here.)
		if err := site.Sim.Universe.SetRoles(a[1], nil); err != nil {
			t.Fatal(err)
		}
		p = b.Flow(t, "/sso/login/directors", a[1])
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Director") {
			t.Errorf("directors login without the role: %d\n%s", p.Status, p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE login = 'directors'`); n != 0 {
			t.Error("a token without the roles was stored")
		}
		if err := site.Sim.Universe.SetRoles(a[0], []string{"Director", "Accountant"}); err != nil {
			t.Fatal(err)
		}
		p = b.Flow(t, "/sso/login/directors", a[0])
		if p.Status != 200 {
			t.Fatalf("directors login with the role: %d\n%s", p.Status, p.Body)
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE login = 'directors' AND character_id = $1 AND has_roles`, a[0]); n != 1 {
			t.Error("the directors token is not stored with its roles")
		}

		// core.mail is for settings admins only.
		if p := b.Flow(t, "/sso/login/core.mail", a[0]); p.Status != http.StatusForbidden {
			t.Errorf("core.mail by a member: %d", p.Status)
		}
	})
}
