package xmpp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
)

// The same flows against the fake Openfire: the password shown logs in,
// groups follow joins and leaves, loss of access locks the account and
// ends its sessions, coming back unlocks it with a new password, names
// with an apostrophe and another script are escaped.
func TestOpenfireFlows(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newOpenfireWorld(t, d, "Ёж O'Neil {character_name}")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		w.activate(t, m, "xmpp")
		user, domain, _ := strings.Cut(m.jid, "@")
		if domain != openfireDomain || !strings.HasPrefix(user, `ёж\20o\27neil\20`) {
			t.Errorf("JID %q", m.jid)
		}
		if err := w.of.Login(user, m.password); err != nil {
			t.Fatalf("login with the password shown: %v", err)
		}
		if got := w.of.Members("fleetcommand"); len(got) != 1 || got[0] != user {
			t.Errorf("fleetcommand: %v", got)
		}
		if got := w.of.Members("guest"); len(got) != 1 {
			t.Errorf("guest: %v", got)
		}
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if got := w.of.Members("fleetcommand"); len(got) != 0 {
			t.Errorf("fleetcommand after leaving: %v", got)
		}
		if p := m.Browser.Post(t, "/services/xmpp/password", url.Values{"password": {"my own chat password"}}); p.Status != http.StatusOK {
			t.Fatalf("set password: %d", p.Status)
		}
		if err := w.of.Login(user, "my own chat password"); err != nil {
			t.Errorf("login with the member's password: %v", err)
		}

		admin := w.member(t)
		w.superuser(t, admin)
		w.revokeGuests(t, admin)
		if locked, ok := w.of.Locked(user); !locked || !ok || w.of.Sessions(user) != 0 {
			t.Errorf("after access was lost: locked %v (exists %v), %d sessions", locked, ok, w.of.Sessions(user))
		}
		if err := w.of.Login(user, "my own chat password"); err == nil {
			t.Error("a locked account logged in")
		}
		if got := w.of.Members("guest"); len(got) != 0 {
			t.Errorf("guest after access was lost: %v", got)
		}

		w.grantGuests(t, admin)
		old := m.jid
		w.activate(t, m, "xmpp")
		if m.jid != old {
			t.Errorf("JID after coming back %q, want %q", m.jid, old)
		}
		if err := w.of.Login(user, m.password); err != nil {
			t.Errorf("login after coming back: %v", err)
		}
	})
}

// Openfire's REST API cannot send to chosen users: its instances are not
// pingers, so the pings page does not offer them (rather than
// broadcasting to everyone online).
func TestOpenfireIsNoPinger(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newOpenfireWorld(t, d, "")
		conn, err := xmpp.Open(w.inst, services.Env{DB: w.site.DB})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := conn.(pings.Pinger); ok {
			t.Errorf("an Openfire instance's connector %T is a pings.Pinger", conn)
		}
	})
}

// Accounts merged: the login name made for the loser is the winner's
// from then on (xmpp_accounts follows the merge), so the same player who
// comes back under that name gets their locked account again rather than
// a new name_<id>.
func TestMergeMovesTheNamesMade(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newOpenfireWorld(t, d, "{character_name}")
		winner, loser := w.member(t), w.member(t)
		if winner.AccountID >= loser.AccountID {
			t.Fatalf("accounts %d and %d: the test wants the first to win", winner.AccountID, loser.AccountID)
		}
		w.activate(t, loser, "xmpp")
		user, _, _ := strings.Cut(loser.jid, "@")
		ownerOf := func() int64 {
			var id int64
			if err := w.site.DB.QueryRow(context.Background(), `SELECT account_id FROM xmpp_accounts WHERE username = $1`, user).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		if got := ownerOf(); got != loser.AccountID {
			t.Fatalf("the name %q is recorded for %d, want %d", user, got, loser.AccountID)
		}
		winner.Browser.AddCharacter(t, loser.Character) // the same player: the accounts merge
		w.site.SettleServices(t)
		if got := ownerOf(); got != winner.AccountID {
			t.Errorf("after the merge the name %q is recorded for %d, want the winner %d", user, got, winner.AccountID)
		}
	})
}
