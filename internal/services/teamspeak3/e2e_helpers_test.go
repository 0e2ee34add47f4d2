package teamspeak3_test

import (
	"context"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/teamspeak3"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

// The end-to-end tests of the TeamSpeak 3 service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with a
// TeamSpeak instance on internal/teamspeaksim over SSH, host key pinned.
// Members use the pages as browsers do; their TeamSpeak client is the
// simulated server's Redeem, and what they get is read back from it.

const (
	queryUser = "serveradmin"
	queryPass = "e2e-query-password"
)

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

// world is a site with the TeamSpeak instance "teamspeak": groups mapped
// by name, member group "Member", "Friends" unmanaged, open to Guests.
type world struct {
	site *sitetest.Site
	ts   *teamspeaksim.Server
	svc  *services.Services
	inst services.Instance
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-20000):])
		}
	})
	// The site's process and the test's each keep a session: the
	// simulated server allowlists loopback, as the instance says.
	ts := teamspeaksim.New(teamspeaksim.Options{QueryUser: queryUser, QueryPassword: queryPass, Allowlist: []string{"127.0.0.1"}})
	for _, g := range []string{"Member", "Fleet Command", "Friends"} {
		ts.AddGroup(g, teamspeaksim.GroupRegular)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = ts.ServeSSH(sctx, ln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{site: site, ts: ts, svc: site.Services(t, teamspeak3.Type)}
	site.GrantGuests(t, "groups.request")
	inst, err := w.svc.Create(ctx, services.Input{Slug: "teamspeak", Type: "teamspeak3", Name: "TeamSpeak"})
	if err != nil {
		t.Fatal(err)
	}
	w.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "TeamSpeak", Enabled: true, MapByName: true,
		NameFormat: "[{corp_ticker}]{character_name}", Unmanaged: []string{"Friends"},
		Settings: map[string]string{teamspeak3.SettingHost: "127.0.0.1", teamspeak3.SettingQueryPort: port,
			teamspeak3.SettingHostKey: ssh.FingerprintSHA256(ts.HostKey()), teamspeak3.SettingQueryUser: queryUser,
			teamspeak3.SettingQueryPassword: queryPass, teamspeak3.SettingMemberGroup: "Member",
			teamspeak3.SettingPublicAddress: "ts.example.org", teamspeak3.SettingVoicePort: "9987",
			teamspeak3.SettingAllowlisted: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	site.GrantGuests(t, w.inst.Permission())
	return w
}

// member is a player logged in to the site.
type member struct {
	*sitetest.Member
}

func (w *world) member(t *testing.T) *member {
	t.Helper()
	return &member{Member: w.site.NewMember(t)}
}

// nick is the nickname the instance gives a member.
func (w *world) nick(t *testing.T, m *member) string {
	t.Helper()
	c, err := w.site.Sim.Universe.Corporation(m.Corporation)
	if err != nil {
		t.Fatal(err)
	}
	return teamspeak3.Sanitize("[" + c.Ticker + "]" + m.Name)
}

var joinLink = regexp.MustCompile(`href="(ts3server://[^"]*)" data-action="join"`)

// activate presses Activate on the Services page and reads the join link
// it then shows.
func (w *world) activate(t *testing.T, m *member) *url.URL {
	t.Helper()
	p := m.Browser.Post(t, "/services/teamspeak/activate", url.Values{})
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/services") {
		t.Fatalf("activation: %d at %s\n%s", p.Status, p.URL, p.Body)
	}
	w.site.SettleServices(t)
	return w.link(t, m)
}

// link reads the join link on the member's Services page.
func (w *world) link(t *testing.T, m *member) *url.URL {
	t.Helper()
	p := m.Browser.Get(t, "/services")
	l := joinLink.FindStringSubmatch(p.Body)
	if l == nil {
		t.Fatalf("no join link on the Services page:\n%s", p.Body)
	}
	u, err := url.Parse(html.UnescapeString(l[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkAgain presses "Check again" on the Services page.
func (w *world) checkAgain(t *testing.T, m *member) {
	t.Helper()
	if p := m.Browser.Post(t, "/services/teamspeak/refresh", url.Values{}); p.Status != http.StatusOK {
		t.Fatalf("check again: %d\n%s", p.Status, p.Body)
	}
	w.site.SettleServices(t)
}
