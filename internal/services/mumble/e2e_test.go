package mumble_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/services/mumble"
	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
)

// A member activates Mumble on the Services page and logs in with a real
// client: right password in with the formatted name, wrong one and
// unknown names out; murmurd's own verifyPassword agrees; the page links
// to the server with the login name.
func TestMemberActivatesMumbleAndLogsIn(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.activate(t, m)
		if m.username != mumble.Username(m.Name) || len(m.password) < 16 {
			t.Errorf("credentials shown: %q / %d characters; want %q", m.username, len(m.password), mumble.Username(m.Name))
		}
		srv := w.meta(t)
		ctx := context.Background()
		if id, err := srv.VerifyPassword(ctx, m.username, m.password); err != nil || id != 1_000_000_000+int(m.AccountID) {
			t.Errorf("verifyPassword: %d, %v; want %d", id, err, 1_000_000_000+m.AccountID)
		}
		// Murmur compares login names without case.
		if id, _ := srv.VerifyPassword(ctx, strings.ToUpper(m.username), m.password); id < 0 {
			t.Errorf("verifyPassword in upper case: %d", id)
		}

		c, err := w.connect(t, m.username, m.password)
		if err != nil {
			t.Fatalf("login with the password shown: %v", err)
		}
		u, ok := session(t, srv, c.Session())
		ticker := w.ticker(t, m.Corporation)
		if !ok || u.Name != "["+ticker+"]"+m.Name || u.UserID != 1_000_000_000+int(m.AccountID) {
			t.Errorf("the session on murmurd: %+v, want the name [%s]%s", u, ticker, m.Name)
		}
		_, err = w.connect(t, m.username, m.password+"x")
		refused(t, err, mumbletest.RejectWrongUserPW)
		_, err = w.connect(t, "Somebody_Else", "guess")
		refused(t, err, mumbletest.RejectWrongUserPW)

		p := m.Browser.Get(t, "/services")
		join := "mumble://" + url.PathEscape(m.username) + "@" + w.murmurd.VoiceAddr + "/?version=1.2.0"
		if !strings.Contains(p.Body, `data-action="join"`) || !strings.Contains(p.Body, strings.ReplaceAll(join, "&", "&amp;")) {
			t.Errorf("the Services page (%d) has no join link %s:\n%s", p.Status, join, p.Body)
		}

		// A password the member sets works at once; the old one no more.
		if p := m.Browser.Post(t, "/services/mumble/password", url.Values{"password": {"my own voice password"}}); p.Status != http.StatusOK {
			t.Fatalf("set password: %d", p.Status)
		}
		if _, err := w.connect(t, m.username, "my own voice password"); err != nil {
			t.Errorf("login with the member's password: %v", err)
		}
		_, err = w.connect(t, m.username, m.password)
		refused(t, err, mumbletest.RejectWrongUserPW)
	})
}

// Groups reach a connected session at once, both ways, without a new
// login: a channel only a group may enter opens and closes for the member
// while they stay connected.
func TestGroupChangesReachALiveSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		srv := w.meta(t)
		ctx := context.Background()
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet) // before the login: the login gives it
		w.site.SettleServices(t)
		w.activate(t, m)
		gated := gatedChannel(t, srv, "Command", "Fleet-Command")
		guests := gatedChannel(t, srv, "Guests", "Guest")
		c, err := w.connect(t, m.username, m.password)
		if err != nil {
			t.Fatal(err)
		}
		can := func(ch int) bool {
			ok, err := srv.HasPermission(ctx, c.Session(), ch, murmur.PermissionEnter)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !can(gated) || !can(guests) {
			t.Fatalf("after the login: enter Command %t, Guests (the state) %t; want both", can(gated), can(guests))
		}

		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if can(gated) {
			t.Error("the group left still opens its channel to the live session")
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if !can(gated) {
			t.Error("the group joined again does not open its channel to the live session")
		}
		// And the client really goes in.
		if err := c.MoveTo(gated); err != nil {
			t.Fatal(err)
		}
		in := func(c *mumbletest.Client) bool { u, _ := c.User(c.Session()); return u.ChannelID == gated }
		waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := c.Wait(waitCtx, in); err != nil {
			t.Errorf("the member could not enter the group's channel: %v", err)
		}
		select {
		case k := <-c.Kicked():
			t.Errorf("the session was ended: %+v", k)
		default:
		}
	})
}

// The member loses the service's permission: the next login is refused
// and the connected session is kicked with the reason.
func TestLosingAccessKicksAndRefuses(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.activate(t, m)
		c, err := w.connect(t, m.username, m.password)
		if err != nil {
			t.Fatal(err)
		}
		admin := w.member(t)
		if _, _, err := w.site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(admin.Character))); err != nil {
			t.Fatal(err)
		}
		admin.Browser.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(w.guest, 10), url.Values{
			"name": {"Guest"}, "priority": {"0"}, "permissions": {"groups.request"}}, http.StatusOK)
		w.site.SettleServices(t)
		select {
		case k := <-c.Kicked():
			if k.Removed == nil || !strings.Contains(k.Removed.Reason, "access") {
				t.Errorf("kicked: %+v", k)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the connected member was not kicked")
		}
		_, err = w.connect(t, m.username, m.password)
		refused(t, err, mumbletest.RejectWrongUserPW)
	})
}

// The main moves to another corporation: the next login shows the new
// ticker.
func TestTheDisplayNameFollowsTheMainsCorporation(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.activate(t, m)
		var target int32
		for _, c := range w.site.Sim.Universe.CorporationIDs() {
			if c != m.Corporation && c > 2000000 && w.ticker(t, c) != w.ticker(t, m.Corporation) {
				target = c
				break
			}
		}
		w.site.Control(t, fmt.Sprintf("characters/%d/move", m.Character), fmt.Sprintf(`{"corporation_id": %d}`, target))
		w.site.RunJob(t, affiliations.SyncArgs{})
		w.site.SettleServices(t)
		c, err := w.connect(t, m.username, m.password)
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := session(t, w.meta(t), c.Session()); u.Name != "["+w.ticker(t, target)+"]"+m.Name {
			t.Errorf("name %q after the move, want [%s]%s", u.Name, w.ticker(t, target), m.Name)
		}
	})
}

// Keepstar down, then murmurd restarted: no login gets in meanwhile (not
// the member's, not a guest's); once Keepstar runs again it registers and
// the member logs in. murmurd restarted while Keepstar runs: Keepstar
// registers again by itself.
func TestRestartsNeverLetAnyoneIn(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.activate(t, m)
		w.site.Stop() // the site's process too, so that none answers
		w.stopRun()
		_, err := w.connect(t, m.username, m.password)
		refused(t, err, mumbletest.RejectAuthenticatorFail)
		w.murmurd.Restart(t)
		_, err = w.connect(t, m.username, m.password)
		refused(t, err, mumbletest.RejectAuthenticatorFail)
		_, err = w.connect(t, "A_Guest", "")
		refused(t, err, mumbletest.RejectAuthenticatorFail)

		w.startKeepstar(t)
		w.waitRegistered(t)
		if _, err := w.connect(t, m.username, m.password); err != nil {
			t.Fatalf("after Keepstar started again: %v", err)
		}

		w.murmurd.Restart(t)
		w.waitRegistered(t)
		if _, err := w.connect(t, m.username, m.password); err != nil {
			t.Fatalf("after murmurd restarted: %v", err)
		}
	})
}

// ticker is a corporation's ticker in the simulated universe.
func (w *world) ticker(t *testing.T, corp int32) string {
	t.Helper()
	c, err := w.site.Sim.Universe.Corporation(corp)
	if err != nil {
		t.Fatal(err)
	}
	return c.Ticker
}
