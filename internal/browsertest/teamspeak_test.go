package browsertest

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/teamspeak3"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

// TestTeamSpeakInABrowser is issue 16's TeamSpeak member, at a desktop and
// at a phone: on the Services page they activate TeamSpeak and get a Join
// link (ts3server://) with their nickname and key; once their client used
// the key (the simulated server's Redeem), "I have joined: check now"
// brings them back to a row with their TeamSpeak nickname and a link
// without the used key.
func TestTeamSpeakInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testTeamSpeak)
}

func testTeamSpeak(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ts := teamspeaksim.New(teamspeaksim.Options{QueryUser: "serveradmin", QueryPassword: "secret", Allowlist: []string{"127.0.0.1"}})
	ts.AddGroup("Member", teamspeaksim.GroupRegular)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ts.Serve(sctx, ln) })
	t.Cleanup(func() { stop(); wg.Wait() })
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	member := site.AccountCharacters(t, 1)[0]
	svc := site.Services(t, teamspeak3.Type)
	inst, err := svc.Create(ctx, services.Input{Slug: "teamspeak", Type: "teamspeak3", Name: "Alliance TeamSpeak"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, inst.ID, services.Input{Name: "Alliance TeamSpeak", Enabled: true, MapByName: true,
		Settings: map[string]string{teamspeak3.SettingHost: host, teamspeak3.SettingQueryPort: port,
			teamspeak3.SettingTransport: teamspeak3.TransportRaw, teamspeak3.SettingQueryUser: "serveradmin",
			teamspeak3.SettingQueryPassword: "secret", teamspeak3.SettingMemberGroup: "Member",
			teamspeak3.SettingPublicAddress: "ts.example.org", teamspeak3.SettingVoicePort: "9987",
			teamspeak3.SettingAllowlisted: "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, $1 FROM states WHERE guest`, inst.Permission()); err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(member)
	p.visit("/services")
	p.waitVisible(`#service-teamspeak [data-action="activate"]`)
	p.fitsWidth()
	p.screenshot(shots, "teamspeak-not-active")
	p.follow("activating TeamSpeak", p.press(`#service-teamspeak [data-action="activate"]`))
	p.waitVisible(`#service-teamspeak [data-action="join"]`)
	joinLink := func() *url.URL {
		href := run(p, "reading the join link", chromedp.Evaluate[string](
			`document.querySelector('#service-teamspeak [data-action="join"]')?.getAttribute("href") ?? ""`))
		u, err := url.Parse(href)
		if err != nil {
			t.Fatalf("join link %q: %v", href, err)
		}
		return u
	}
	join := joinLink()
	key := join.Query().Get("token")
	if join.Scheme != "ts3server" || join.Host != "ts.example.org" || join.Query().Get("nickname") == "" || key == "" {
		t.Fatalf("join link %s", join)
	}
	if !p.visible(`#service-teamspeak [data-action="refresh"]`) {
		t.Error("no check-now button on the row")
	}
	p.fitsWidth()
	p.screenshot(shots, "teamspeak-invited")

	if _, _, err := ts.Redeem(key, "Pilot on TeamSpeak"); err != nil {
		t.Fatal(err)
	}
	p.follow("checking again", p.press(`#service-teamspeak [data-action="refresh"]`))
	site.SettleServices(t)
	p.visit("/services")
	p.wantText(`#service-teamspeak [data-field="external-name"]`, "Pilot on TeamSpeak")
	if again := joinLink(); again.Query().Get("token") != "" || again.Query().Get("nickname") != "Pilot on TeamSpeak" {
		t.Errorf("the link after joining: %s", again)
	}
	p.fitsWidth()
	p.screenshot(shots, "teamspeak-joined")
}
