package phpbb3_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// A member activates the forum on the Services page: the name shown is
// the formatted one (an apostrophe and Cyrillic from the format kept),
// phpBB's login finds it by the name typed in any case and the password
// shown verifies; groups follow joins and leaves; losing access disables
// the user (login impossible, groups gone, the row kept); access back,
// activating again takes the same user back.
func TestForumLifecycle(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "Пилот {character_name}'s")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		w.activate(t, m, "forum")
		if m.username != "Пилот "+m.Name+"'s" || len(m.password) < 16 {
			t.Fatalf("credentials shown: %q / %d characters", m.username, len(m.password))
		}
		u, ok := w.login(t, "phpbb_", m.username)
		if !ok || u.name != m.username || !w.canLogIn(t, "phpbb_", "пилот "+m.Name+"'S", m.password) {
			t.Fatalf("phpBB's login does not find %q with the password shown: %+v", m.username, u)
		}
		if w.canLogIn(t, "phpbb_", m.username, m.password+"x") {
			t.Error("a wrong password logs in")
		}
		if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"Fleet Command", "REGISTERED"}) {
			t.Errorf("groups after activation %v", got)
		}
		// A password the member sets works at once; the old one no more.
		if p := m.Browser.Post(t, "/services/forum/password", url.Values{"password": {"my own forum password"}}); p.Status != http.StatusOK {
			t.Fatalf("set password: %d", p.Status)
		}
		if !w.canLogIn(t, "phpbb_", m.username, "my own forum password") || w.canLogIn(t, "phpbb_", m.username, m.password) {
			t.Error("the member's own password does not replace the one shown")
		}

		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"REGISTERED"}) {
			t.Errorf("groups after leaving %v", got)
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"Fleet Command", "REGISTERED"}) {
			t.Errorf("groups after joining again %v", got)
		}

		w.setGuestPermissions(t)
		if w.canLogIn(t, "phpbb_", m.username, m.password) {
			t.Error("the member still logs in after losing access")
		}
		gone, ok := w.login(t, "phpbb_", m.username)
		if !ok || gone.typ != 1 || gone.id != u.id {
			t.Errorf("after losing access: %+v (found %t), want the same user inactive", gone, ok)
		}
		if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"REGISTERED"}) {
			t.Errorf("groups after losing access %v", got)
		}

		w.setGuestPermissions(t, w.inst.Permission())
		w.activate(t, m, "forum")
		back, ok := w.login(t, "phpbb_", m.username)
		if !ok || back.id != u.id || !w.canLogIn(t, "phpbb_", m.username, m.password) {
			t.Errorf("reactivation: %+v, want user %d logging in with the new password", back, u.id)
		}
		if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"Fleet Command", "REGISTERED"}) {
			t.Errorf("groups after reactivation %v", got)
		}
	})
}

// Two phpBB instances on one database (two prefixes): a member has a user
// on each, with its own password, and groups reach both.
func TestTwoInstances(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		second := w.instance(t, "second", w.forum.Addr(), "second_", "")
		m := w.member(t)
		w.activate(t, m, "forum")
		first := m.password
		w.activate(t, m, second.Slug)
		if !w.canLogIn(t, "phpbb_", m.Name, first) || !w.canLogIn(t, "second_", m.Name, m.password) ||
			w.canLogIn(t, "second_", m.Name, first) {
			t.Error("each forum does not have its own password")
		}
		g := w.site.OpenGroup(t, "Logistics")
		m.Browser.JoinGroup(t, g)
		w.site.SettleServices(t)
		for _, p := range []string{"phpbb_", "second_"} {
			u, _ := w.login(t, p, m.Name)
			if got := w.groups(t, p, u.id); !slices.Contains(got, "Logistics") {
				t.Errorf("%s groups %v", p, got)
			}
		}
	})
}

// The forum's database unreachable during a wave of changes: nothing is
// lost, and once it is back every change arrives.
func TestForumDatabaseDownDuringChanges(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		members := []*member{w.member(t), w.member(t), w.member(t)}
		for _, m := range members {
			w.activate(t, m, "forum")
		}
		groups := []int64{w.site.OpenGroup(t, "Wave One"), w.site.OpenGroup(t, "Wave Two")}
		w.proxy.Cut()
		for _, m := range members {
			for _, g := range groups {
				m.Browser.JoinGroup(t, g)
			}
		}
		sitetest.WaitFor(t, "the syncs to fail while the forum is down", func() bool {
			var n int
			if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM service_accounts WHERE instance_id = $1 AND status = 'error'`,
				w.inst.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			// The work stops at the first account the forum fails:
			// the others wait their turn.
			return n >= 1
		})
		w.proxy.Restore()
		w.site.SettleServices(t)
		for _, m := range members {
			u, _ := w.login(t, "phpbb_", m.Name)
			if got := w.groups(t, "phpbb_", u.id); !slices.Equal(got, []string{"REGISTERED", "Wave One", "Wave Two"}) {
				t.Errorf("%s: groups %v after the forum came back", m.Name, got)
			}
		}
	})
}

// Two members whose formatted names are the same: the second activation
// fails and never touches the first member's forum user.
func TestSameNameIsNotTakenFromAnotherMember(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "Forum Pilot")
		a, b := w.member(t), w.member(t)
		w.activate(t, a, "forum")
		p := b.Browser.Post(t, "/services/forum/activate", nil)
		if p.Status != http.StatusConflict || shownPassword.MatchString(p.Body) {
			t.Fatalf("the second member got credentials for the first one's user (%d)", p.Status)
		}
		w.site.SettleServices(t)
		if !w.canLogIn(t, "phpbb_", "Forum Pilot", a.password) {
			t.Error("the first member's password no longer works")
		}
	})
}
