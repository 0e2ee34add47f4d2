package discourse_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discoursesim"
	"github.com/keepstar/keepstar/internal/services/discourse"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/web"
)

// A member logs in on the forum: the forum sends them to Keepstar, which
// sends them back signed in; the forum makes their user with the answer's
// fields. Their groups follow joins and leaves through sync_sso, the
// forum's own "Friends" stays; losing access logs them out and suspends
// them, and Keepstar refuses them; access given back, logging in again
// lifts the suspension.
func TestMemberSignsInAndFollowsGroups(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)

		if p := m.Browser.Get(t, "/services"); !strings.Contains(p.Body, `href="`+f.url+`/session/sso" data-action="join"`) {
			t.Fatalf("the Services page has no link to log in on the forum:\n%s", p.Body)
		}
		u := w.signedIn(t, f, m)
		ext := strconv.FormatInt(m.AccountID, 10)
		if u.ExternalID != ext || u.Email != ext+"@"+emailDomain || u.Name != m.Name ||
			u.Username != discourse.Username(m.Name, m.AccountID) || !u.Active || u.Admin || u.Moderator ||
			u.AvatarURL != fmt.Sprintf("https://images.evetech.net/characters/%d/portrait?size=256", m.Character) {
			t.Fatalf("forum user %+v for %q (account %d)", u, m.Name, m.AccountID)
		}
		if !slices.Equal(u.Groups, []string{"Fleet_Command"}) {
			t.Fatalf("groups at first login %v", u.Groups)
		}
		if p := m.Browser.Get(t, "/services"); !strings.Contains(p.Body, `data-linked="true"`) || !strings.Contains(p.Body, u.Username) {
			t.Fatalf("the Services page does not show the forum account:\n%s", p.Body)
		}

		f.sim.SetGroup(u.ID, "Friends", true)
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if u, _ = f.sim.UserByExternal(ext); !slices.Equal(u.Groups, []string{"Friends"}) {
			t.Fatalf("groups after leaving %v", u.Groups)
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if u, _ = f.sim.UserByExternal(ext); !slices.Equal(u.Groups, []string{"Fleet_Command", "Friends"}) {
			t.Fatalf("groups after joining again %v", u.Groups)
		}

		// Access lost: logged out and suspended; Keepstar refuses the login.
		w.revoke(t, f, m)
		if u, _ = f.sim.UserByExternal(ext); u.SuspendedTill.Before(time.Now().AddDate(100, 0, 0)) || u.LogOuts != 1 ||
			f.sim.Sessions(u.ID) != 0 {
			t.Fatalf("after losing access: %+v, %d sessions", u, f.sim.Sessions(u.ID))
		}
		if p := f.signIn(t, m); p.Status != http.StatusForbidden {
			t.Fatalf("login without access: %d at %s", p.Status, p.URL)
		}

		// Access back: the next login lifts the suspension.
		w.grant(t, f)
		u = w.signedIn(t, f, m)
		if !u.SuspendedTill.IsZero() || !slices.Equal(u.Groups, []string{"Fleet_Command", "Friends"}) {
			t.Fatalf("after access came back: %+v", u)
		}
		if n := len(f.sim.Users()); n != 1 {
			t.Fatalf("%d forum users, want the one", n)
		}

		// A suspension the forum's staff give is theirs: Keepstar's syncs
		// and a login leave it.
		f.sim.Suspend(u.ID, time.Now().AddDate(0, 1, 0), "spam")
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if p := f.signIn(t, m); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "spam") {
			t.Fatalf("login while suspended by staff: %d at %s", p.Status, p.URL)
		}
		if u, _ = f.sim.UserByExternal(ext); u.SuspendReason != "spam" || !slices.Equal(u.Groups, []string{"Friends"}) {
			t.Fatalf("after a staff suspension: %+v", u)
		}
	})
}

// The member deactivates the forum on their Services page: logged out and
// suspended there, as on losing access.
func TestMemberDeactivates(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		u := w.signedIn(t, w.forum, m)
		if p := m.Browser.Post(t, "/services/forum/deactivate", url.Values{web.ConfirmField: {web.ConfirmYes}}); p.Status != http.StatusOK {
			t.Fatalf("deactivate: %d\n%s", p.Status, p.Body)
		}
		u, _ = w.forum.sim.UserByExternal(u.ExternalID)
		if u.SuspendedTill.IsZero() || u.LogOuts != 1 {
			t.Fatalf("after deactivating %+v", u)
		}
	})
}

// The forum refuses an answer whose nonce was used already (a replay);
// Keepstar refuses a request whose signature is wrong, and one whose
// return_sso_url is another site's, saying why, and sends nothing there.
func TestRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		m := w.member(t)

		req := f.request(t, m)
		res := get(t, m, req.String())
		answer := res.Header.Get("Location")
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(answer, f.url+"/session/sso_login?") {
			t.Fatalf("Keepstar's answer: %d to %q", res.StatusCode, answer)
		}
		if res := get(t, m, answer); res.StatusCode != http.StatusFound {
			t.Fatalf("the forum refused the answer: %d", res.StatusCode)
		}
		if res := get(t, m, answer); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the forum took a replayed answer: %d", res.StatusCode)
		}

		// A signature Keepstar did not expect: another secret, or none.
		q := req.Query()
		forged := url.Values{"sso": {q.Get("sso")}, "sig": {discoursesim.Sign("another-secret-0123456", q.Get("sso"))}}
		page := m.Browser.Get(t, w.site.URL+"/services/forum/sso?"+forged.Encode())
		if page.Status != http.StatusBadRequest || !strings.Contains(page.Body, "not signed with this service") {
			t.Fatalf("forged signature: %d at %s\n%s", page.Status, page.URL, page.Body)
		}
		tampered := url.Values{"sso": {base64.StdEncoding.EncodeToString([]byte("nonce=abc&return_sso_url=" +
			url.QueryEscape(f.url+"/session/sso_login")))}, "sig": {q.Get("sig")}}
		if page := m.Browser.Get(t, w.site.URL+"/services/forum/sso?"+tampered.Encode()); page.Status != http.StatusBadRequest {
			t.Fatalf("tampered payload: %d at %s", page.Status, page.URL)
		}

		// Signed right, but sending the member elsewhere.
		for _, back := range []string{"http://evil.example/session/sso_login", strings.Replace(f.url, "127.0.0.1", "localhost", 1) + "/session/sso_login",
			"https://" + strings.TrimPrefix(f.url, "http://") + "/session/sso_login", "/session/sso_login"} {
			sso := base64.StdEncoding.EncodeToString([]byte(url.Values{"nonce": {"n1"}, "return_sso_url": {back}}.Encode()))
			v := url.Values{"sso": {sso}, "sig": {discoursesim.Sign(connectSecret, sso)}}
			res := get(t, m, w.site.URL+"/services/forum/sso?"+v.Encode())
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Fatalf("return_sso_url %s: %d to %q", back, res.StatusCode, res.Header.Get("Location"))
			}
		}
		if n := len(f.sim.Users()); n != 1 {
			t.Fatalf("%d forum users", n)
		}
	})
}

// A visitor who is not logged in to Keepstar logs in on the way, and
// ends on the forum signed in.
func TestVisitorLogsInOnTheWay(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		char := w.site.AccountCharacters(t, 1)[0]
		b := w.site.NewBrowser(t)
		m := &member{Member: &sitetest.Member{Browser: b, Character: char}}
		res := get(t, m, f.request(t, m).String())
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/?next=") {
			t.Fatalf("a visitor: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		next, _ := url.Parse(res.Header.Get("Location"))
		if n := next.Query().Get("next"); !strings.HasPrefix(n, "/services/forum/sso?") || !strings.Contains(n, "sso=") {
			t.Fatalf("next %q", next.Query().Get("next"))
		}
		// Logging in comes back to the request, and on to the forum.
		p := b.Flow(t, "/sso/login?next="+url.QueryEscape(next.Query().Get("next")), char)
		if p.Status != http.StatusOK || p.URL != f.url+"/" || !strings.Contains(p.Body, "Logged in as") {
			t.Fatalf("after logging in: %d at %s\n%v", p.Status, p.URL, p.Visited)
		}
	})
}

// Two forums: a member signs in on both, and a group change reaches each.
func TestTwoInstances(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		other := w.newForum(t, "forum2", "[{corp_ticker}] {character_name}")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		a := w.signedIn(t, w.forum, m)
		b := w.signedIn(t, other, m)
		if a.Name == b.Name || !strings.HasSuffix(b.Name, m.Name) {
			t.Fatalf("names %q and %q", a.Name, b.Name)
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		for _, f := range []*forum{w.forum, other} {
			if u, _ := f.sim.UserByExternal(a.ExternalID); !slices.Equal(u.Groups, []string{"Fleet_Command"}) {
				t.Fatalf("%s: groups %v", f.inst.Slug, u.Groups)
			}
		}
	})
}

// A name format with Cyrillic and an apostrophe: the name is kept as it
// is, the username is one Discourse accepts (the fake refuses any other).
func TestNonLatinName(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.newForum(t, "ru", "Ёжик O'{character_name}")
		m := w.member(t)
		u := w.signedIn(t, f, m)
		if u.Name != "Ёжик O'"+m.Name || !strings.HasPrefix(u.Username, "Ezhik_O") || discoursesim.CheckUsername(u.Username) != "" {
			t.Fatalf("forum user %+v", u)
		}
	})
}

// The forum answers 429 while a wave of group changes is synced: the
// syncs wait for its Retry-After and every member converges.
func TestRateLimitedConverges(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		fleet := w.site.OpenGroup(t, "Fleet Command")
		var ms []*member
		for range 4 {
			m := w.member(t)
			w.signedIn(t, f, m)
			ms = append(ms, m)
		}
		f.sim.SetAdminLimit(1, 2*time.Second)
		for _, m := range ms {
			m.Browser.JoinGroup(t, fleet)
		}
		w.site.SettleServices(t)
		for _, m := range ms {
			if u, _ := f.sim.UserByExternal(strconv.FormatInt(m.AccountID, 10)); !slices.Equal(u.Groups, []string{"Fleet_Command"}) {
				t.Fatalf("account %d: groups %v", m.AccountID, u.Groups)
			}
		}
		if f.sim.Stats().Limited == 0 {
			t.Fatal("the forum never answered 429: the test proves nothing")
		}
		var failed int
		if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM service_accounts WHERE status = 'error'`).Scan(&failed); err != nil || failed != 0 {
			t.Fatalf("%d accounts in error (%v)", failed, err)
		}
	})
}

var _ = sitetest.WaitFor

// Accounts merged: the loser's forum user moves to the winner with its
// external id, and the winner's next login is that same forum user.
func TestMergeKeepsTheForumUser(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		chars := w.site.AccountCharacters(t, 2)
		first, second := w.site.NewBrowser(t), w.site.NewBrowser(t)
		first.LogIn(t, chars[0])
		second.LogIn(t, chars[1])
		ctx := context.Background()
		a, err := w.site.Accounts().Character(ctx, chars[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.site.Accounts().Character(ctx, chars[1])
		if err != nil {
			t.Fatal(err)
		}
		if a.AccountID >= b.AccountID {
			t.Fatalf("accounts %d and %d: the test wants the first to win", a.AccountID, b.AccountID)
		}
		// The later account signs in on the forum; the first has no user.
		loser := &member{Member: &sitetest.Member{Browser: second, Character: chars[1], Name: b.Name, AccountID: b.AccountID}}
		u := w.signedIn(t, f, loser)
		// The same player adds the second character to the first account:
		// the accounts merge into the first.
		first.AddCharacter(t, chars[1])
		w.site.SettleServices(t)
		winner := &member{Member: &sitetest.Member{Browser: first, Character: chars[0], Name: a.Name, AccountID: a.AccountID}}
		p := f.signIn(t, winner)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Logged in as") {
			t.Fatalf("the winner's login: %d at %s\n%s", p.Status, p.URL, p.Body)
		}
		// One forum user: the loser's, renamed after the winner's main.
		us := f.sim.Users()
		if len(us) != 1 || us[0].ID != u.ID || us[0].ExternalID != strconv.FormatInt(b.AccountID, 10) || us[0].Name != a.Name {
			t.Fatalf("forum users after the merge: %+v (the first was %+v)", us, u)
		}
	})
}
