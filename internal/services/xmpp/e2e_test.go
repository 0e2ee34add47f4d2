package xmpp_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// A member activates XMPP on the Services page and logs in with a real
// client with the JID and password shown once; a wrong password and the
// old password after a change are refused.
func TestMemberActivatesXMPPAndLogsIn(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		m := w.member(t)
		w.activate(t, m, "xmpp")
		if want := xmpp.Username(m.Name) + "@" + w.ej.Domain; m.jid != want || len(m.password) < 16 {
			t.Errorf("credentials shown: %q / %d characters; want %q", m.jid, len(m.password), want)
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Fatalf("login with the password shown: %v", err)
		}
		if _, err := w.login(t, m.jid, m.password+"x"); err == nil {
			t.Error("a wrong password logged in")
		}
		if p := m.Browser.Post(t, "/services/xmpp/password", url.Values{"password": {"my own chat password"}}); p.Status != http.StatusOK {
			t.Fatalf("set password: %d", p.Status)
		}
		if _, err := w.login(t, m.jid, "my own chat password"); err != nil {
			t.Errorf("login with the member's password: %v", err)
		}
		if _, err := w.login(t, m.jid, m.password); err == nil {
			t.Error("the old password still logs in")
		}
	})
}

// Groups follow joins and leaves: the shared roster groups of the mapped
// group and of the state hold the member while they should.
func TestGroupsFollowJoinsAndLeaves(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		w.activate(t, m, "xmpp")
		if !w.inGroup(t, m.jid, "fleetcommand") || !w.inGroup(t, m.jid, "guest") {
			t.Fatalf("after activation: fleetcommand %v, guest %v", w.members(t, "fleetcommand"), w.members(t, "guest"))
		}
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if w.inGroup(t, m.jid, "fleetcommand") || !w.inGroup(t, m.jid, "guest") {
			t.Errorf("after leaving: fleetcommand %v, guest %v", w.members(t, "fleetcommand"), w.members(t, "guest"))
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if !w.inGroup(t, m.jid, "fleetcommand") {
			t.Errorf("after joining again: fleetcommand %v", w.members(t, "fleetcommand"))
		}
	})
}

// The member loses the service: the live session ends, the password no
// longer logs in and the groups are gone. Given back, the member activates
// again and gets the same JID, with a new password that works.
func TestLosingAccessLocksAndComingBackUnlocks(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		m := w.member(t)
		w.activate(t, m, "xmpp")
		c, err := w.login(t, m.jid, m.password)
		if err != nil {
			t.Fatal(err)
		}
		admin := w.member(t)
		w.superuser(t, admin)
		w.revokeGuests(t, admin)
		select {
		case <-c.Done():
		case <-timeout(t):
			t.Fatal("the live session was not ended")
		}
		if _, err := w.login(t, m.jid, m.password); err == nil {
			t.Error("the password still logs in after access was lost")
		}
		if w.inGroup(t, m.jid, "guest") {
			t.Errorf("still in the state's group: %v", w.members(t, "guest"))
		}

		w.grantGuests(t, admin)
		old := m.jid
		w.activate(t, m, "xmpp")
		if m.jid != old {
			t.Errorf("JID after coming back: %q, want the same %q", m.jid, old)
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Errorf("login after coming back: %v", err)
		}
		if !w.inGroup(t, m.jid, "guest") {
			t.Errorf("not in the state's group after coming back: %v", w.members(t, "guest"))
		}
	})
}

// Names with an apostrophe, spaces and another script are escaped per
// XEP-0106 and log in; a second instance (another domain of the server)
// makes its own account for the same member.
func TestNamesAndTwoInstances(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "Ёж O'Neil {character_name}")
		w.instance(t, "xmpp2", secondDomain, "")
		m := w.member(t)
		w.activate(t, m, "xmpp")
		if !strings.HasPrefix(m.jid, `ёж\20o\27neil\20`) || !strings.HasSuffix(m.jid, "@"+w.ej.Domain) {
			t.Errorf("JID %q", m.jid)
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Errorf("login as %q: %v", m.jid, err)
		}
		first := *m
		w.activate(t, m, "xmpp2")
		if m.jid != xmpp.Username(m.Name)+"@"+secondDomain {
			t.Errorf("second instance's JID %q", m.jid)
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Errorf("login on the second instance: %v", err)
		}
		if _, err := w.login(t, first.jid, first.password); err != nil {
			t.Errorf("the first instance's login after the second's activation: %v", err)
		}
	})
}

// A ping reaches a connected member at once and an offline one when they
// log in, from the instance's sender.
func TestPingArrives(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		online, offline := w.member(t), w.member(t)
		w.activate(t, online, "xmpp")
		w.activate(t, offline, "xmpp")
		c, err := w.login(t, online.jid, online.password)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := xmpp.Open(w.inst, services.Env{DB: w.site.DB})
		if err != nil {
			t.Fatal(err)
		}
		pinger, ok := conn.(pings.Pinger)
		if !ok {
			t.Fatalf("an ejabberd instance's connector %T is not a pings.Pinger", conn)
		}
		to := []services.Account{{ExternalName: online.jid}, {ExternalName: offline.jid}}
		n, err := pinger.Ping(context.Background(), to, "Form up on the titan")
		if err != nil || n != 2 {
			t.Fatalf("ping: %d delivered, %v", n, err)
		}
		if got := waitMessage(t, c, "Form up on the titan"); !strings.HasPrefix(got.From, "pings@"+w.ej.Domain) || got.Type != "chat" {
			t.Errorf("the ping came as %+v", got)
		}
		c2, err := w.login(t, offline.jid, offline.password)
		if err != nil {
			t.Fatal(err)
		}
		waitMessage(t, c2, "Form up on the titan")
	})
}

// ejabberd stops during changes and starts again: the changes made
// meanwhile wait and are applied once it is back.
func TestEjabberdRestartedDuringChanges(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		w.activate(t, m, "xmpp")
		w.ej.Stop(t)
		m.Browser.JoinGroup(t, fleet)
		w.ej.Start(t)
		w.site.SettleServices(t)
		if !w.inGroup(t, m.jid, "fleetcommand") {
			t.Errorf("after the restart: fleetcommand %v", w.members(t, "fleetcommand"))
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Errorf("login after the restart: %v", err)
		}
	})
}

// An account an admin deleted on the server is found gone at the next
// change: the link goes, and the member activates again with the same
// JID.
func TestAccountDeletedOnTheServer(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		w.activate(t, m, "xmpp")
		user, _, _ := strings.Cut(m.jid, "@")
		w.api(t, "unregister", map[string]string{"user": user, "host": w.ej.Domain}, nil)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if _, err := w.svc.AccountOf(context.Background(), w.inst.ID, m.AccountID); err == nil {
			t.Fatal("the link stays after the account was deleted on the server")
		}
		old := m.jid
		w.activate(t, m, "xmpp")
		if m.jid != old || !w.inGroup(t, m.jid, "fleetcommand") {
			t.Errorf("activated again as %q (was %q), fleetcommand %v", m.jid, old, w.members(t, "fleetcommand"))
		}
		if _, err := w.login(t, m.jid, m.password); err != nil {
			t.Errorf("login: %v", err)
		}
	})
}

// An officer pings their group on the pings page: the ping goes through
// the real ejabberd to the member's XMPP client, and the page's record
// counts it delivered.
func TestPingPageReachesAnXMPPClient(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d, "")
		ctx := context.Background()
		fleet := w.site.OpenGroup(t, "Fleet")
		officer, m := w.member(t), w.member(t)
		if err := w.site.Accounts().SetPermissions(ctx, officer.AccountID, []string{pings.PermissionSend.Name}); err != nil {
			t.Fatal(err)
		}
		officer.Browser.JoinGroup(t, fleet)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		w.activate(t, m, "xmpp")
		c, err := w.login(t, m.jid, m.password)
		if err != nil {
			t.Fatal(err)
		}
		officer.Browser.Expect(t, officer.Name, "/pings", url.Values{"message": {"Titan on field, x up"}, "groups": {strconv.FormatInt(fleet, 10)},
			"instance": {strconv.FormatInt(w.inst.ID, 10)}}, http.StatusOK)
		timer := timeout(t)
		for got := false; !got; {
			select {
			case msg := <-c.Messages():
				got = strings.Contains(msg.Body, "Titan on field, x up")
			case <-timer:
				t.Fatal("the ping did not reach the member's client")
			}
		}
		sitetest.WaitFor(t, "the ping's delivery to be recorded", func() bool {
			var delivered int
			err := w.site.DB.QueryRow(ctx, `SELECT COALESCE(SUM(delivered), 0) FROM ping_deliveries WHERE instance_id = $1 AND status NOT IN ('queued', 'sending')`,
				w.inst.ID).Scan(&delivered)
			return err == nil && delivered == 1
		})
	})
}
