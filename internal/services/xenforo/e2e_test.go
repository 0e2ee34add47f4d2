package xenforo_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services/xenforo"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/web"
)

// A member activates XenForo: the page shows a username and a password
// once, which log in on the forum; the member group and their groups are
// given and follow joins and leaves ("Friends", given by hand, stays). A
// password they set works; losing access takes the groups away and makes
// the password unknown; activating again takes the same user back with
// a new password. The key and the passwords never appear in a URL.
func TestMemberActivatesAndFollowsGroups(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)

		u := w.activate(t, f, m)
		if m.username != m.Name || !f.sim.Login(m.username, m.password) || !strings.HasPrefix(u.Email, "keepstar-") ||
			!strings.HasSuffix(u.Email, "@"+emailDomain) || u.State != "valid" {
			t.Fatalf("forum user %+v for %q with %q", u, m.Name, m.username)
		}
		if got := f.sim.Titles(u); !slices.Equal(got, []string{"Fleet Command", "Keepstar"}) {
			t.Fatalf("groups after activation %v", got)
		}

		f.sim.SetGroup(u.ID, 7, true) // Friends (after XenForo's 4 and Keepstar, Fleet Command), by hand
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		u, _ = f.sim.User(m.username)
		if got := f.sim.Titles(u); !slices.Equal(got, []string{"Friends", "Keepstar"}) {
			t.Fatalf("groups after leaving %v", got)
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		u, _ = f.sim.User(m.username)
		if got := f.sim.Titles(u); !slices.Equal(got, []string{"Fleet Command", "Friends", "Keepstar"}) {
			t.Fatalf("groups after joining again %v", got)
		}

		// A password of their own.
		p := m.Browser.Post(t, "/services/xf/password", url.Values{"password": {"my own pass 'é'"}})
		m.credentials(t, p)
		if !f.sim.Login(m.username, "my own pass 'é'") {
			t.Fatal("the password set does not log in")
		}

		// Access lost: groups gone (Friends stays), password unknown.
		w.revoke(t, f, m)
		u, _ = f.sim.User(m.username)
		if got := f.sim.Titles(u); !slices.Equal(got, []string{"Friends"}) || f.sim.Login(m.username, m.password) {
			t.Fatalf("after losing access: groups %v, old password works %v", got, f.sim.Login(m.username, m.password))
		}

		// Access back: the same user, a new password.
		w.grant(t, f)
		again := w.activate(t, f, m)
		if again.ID != u.ID || !f.sim.Login(m.username, m.password) {
			t.Fatalf("reactivation: user %d (was %d), password works %v", again.ID, u.ID, f.sim.Login(m.username, m.password))
		}
		if got := f.sim.Titles(again); !slices.Equal(got, []string{"Fleet Command", "Friends", "Keepstar"}) {
			t.Fatalf("groups after reactivation %v", got)
		}
		if len(f.sim.Users()) != 1 {
			t.Fatalf("users %+v", f.sim.Users())
		}
		if secretsInURLs(f, apiKey, m.password, "my own pass") {
			t.Fatal("the key or a password is in a request's URL")
		}
	})
}

// A name another user of the forum has: the member gets it with their
// account's number; nobody else's password is touched. A name format
// with Cyrillic and an apostrophe is kept as XenForo allows it.
func TestNamesTakenAndNonLatin(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.newForum(t, "ru", "Ёж O'{character_name}")
		m := w.member(t)
		u := w.activate(t, f, m)
		if want := []rune("Ёж O'" + m.Name); u.Username != string(want[:min(len(want), 25)]) {
			t.Fatalf("username %q for %q", u.Username, m.Name)
		}

		// Someone registered the next member's name on the forum first.
		o := w.member(t)
		res, err := http.PostForm(w.forum.inst.Settings[xenforo.SettingEndpoint], url.Values{"action": {"register"},
			"hash": {apiKey}, "username": {o.Name}, "password": {"theirs123"}, "email": {"someone@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("registering the other user: %d", res.StatusCode)
		}
		mine := w.activate(t, w.forum, o)
		if !strings.HasSuffix(mine.Username, " "+strconv.FormatInt(o.AccountID, 10)) || !w.forum.sim.Login(o.Name, "theirs123") {
			t.Fatalf("taken name: got %q; the other's password still works: %v", mine.Username, w.forum.sim.Login(o.Name, "theirs123"))
		}
	})
}

// Two forums: a member activates both, a group change reaches each.
func TestTwoInstances(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		other := w.newForum(t, "xf2", "[{corp_ticker}] {character_name}")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		w.activate(t, w.forum, m)
		w.activate(t, other, m)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		for _, f := range []*forum{w.forum, other} {
			us := f.sim.Users()
			if len(us) != 1 || !slices.Equal(f.sim.Titles(us[0]), []string{"Fleet Command", "Keepstar"}) {
				t.Fatalf("%s: %+v", f.inst.Slug, us)
			}
		}
	})
}

// The member deactivates: disabled as on losing access.
func TestDeactivate(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.activate(t, w.forum, m)
		if p := m.Browser.Post(t, "/services/xf/deactivate", url.Values{web.ConfirmField: {web.ConfirmYes}}); p.Status != http.StatusOK {
			t.Fatalf("deactivate: %d\n%s", p.Status, p.Body)
		}
		u, _ := w.forum.sim.User(m.username)
		if len(u.Secondary) != 0 || w.forum.sim.Login(m.username, m.password) {
			t.Fatalf("after deactivating %+v", u)
		}
		var n int
		if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM service_accounts`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("service accounts left %d (%v)", n, err)
		}
	})
}

// The forum down during a wave of changes: the changes wait, none lost,
// and every one is applied once it answers again.
func TestForumDownConverges(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		f := w.forum
		fleet := w.site.OpenGroup(t, "Fleet Command")
		var ms []*member
		for range 3 {
			m := w.member(t)
			w.activate(t, f, m)
			ms = append(ms, m)
		}
		f.down.Store(true)
		for _, m := range ms {
			m.Browser.JoinGroup(t, fleet)
		}
		ctx := context.Background()
		sitetest.WaitFor(t, "a sync to meet the forum down", func() bool { return f.refused.Load() > 0 })
		// The job snoozes (a second, then two): let it meet the forum
		// down more than once.
		time.Sleep(1500 * time.Millisecond)
		var pending int
		if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM service_accounts WHERE wanted > synced`).Scan(&pending); err != nil || pending != 3 {
			t.Fatalf("%d changes still pending while the forum is down, want 3 (%v)", pending, err)
		}
		f.down.Store(false)
		w.site.SettleServices(t)
		for _, m := range ms {
			u, _ := f.sim.User(m.username)
			if got := f.sim.Titles(u); !slices.Equal(got, []string{"Fleet Command", "Keepstar"}) {
				t.Fatalf("%s: groups %v", m.username, got)
			}
		}
		var failed int
		if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM service_accounts WHERE status <> 'ok' OR wanted > synced`).Scan(&failed); err != nil || failed != 0 {
			t.Fatalf("%d accounts not right after the outage (%v)", failed, err)
		}
	})
}
