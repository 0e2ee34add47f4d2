package browsertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestDiscordInABrowser is issue 15's member and admin, at a desktop and at
// a phone, on the demo's Discord: the member, in a group, links Discord on
// the Services page through the simulated Discord's consent page, and the
// guild's page shows them with the group's role; the admin maps another
// group to a role of another name on the service's page, the member joins
// it, and the guild's page shows that role too.
func TestDiscordInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testDiscord)
}

func testDiscord(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	chars := site.AccountCharacters(t, 2)
	su, member := chars[0], chars[1]

	// The demo's Discord: a guild with the bot's role on top, users to
	// pick, the site's callback registered.
	sim := discordsim.New(discordsim.Options{BotToken: "bot-token", ClientID: "100000000000000001", ClientSecret: "secret",
		RedirectURIs: []string{site.URL + "/services/discord/callback"}, MembersIntent: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	owner := sim.AddUser("guild_owner")
	g := sim.AddGuild("Keepstar demo", owner.ID)
	user := sim.AddUser("pilot_one")
	svc := site.Services(t, discord.Type)
	if err := demo.SeedDiscord(ctx, site.DB, svc, demo.Discord{URL: srv.URL, GuildID: g.ID, BotToken: "bot-token",
		ClientID: "100000000000000001", ClientSecret: "secret"}); err != nil {
		t.Fatal(err)
	}
	// The demo opens it to Member and Blue; here the member is a Guest.
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, 'services.discord.access' FROM states WHERE guest UNION SELECT id, 'groups.request' FROM states WHERE guest`); err != nil {
		t.Fatal(err)
	}
	gs := groups.New(site.DB, groups.Options{Queue: site.Queue()})
	fleet, err := gs.Create(ctx, groups.Input{Name: "Fleet", Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	scouts, err := gs.Create(ctx, groups.Input{Name: "Scouts", Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	b := site.NewBrowser(t)
	b.LogIn(t, member)
	if p := b.Post(t, "/groups/"+strconv.FormatInt(fleet.ID, 10)+"/join", nil); p.Status != 200 {
		t.Fatalf("join: %d", p.Status)
	}

	shots := t.ArtifactDir()
	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(member)
	p.visit("/services")
	p.waitVisible(`#service-discord [data-action="link"]`)
	p.screenshot(shots, "services-not-linked")
	p.follow("linking Discord", p.press(`#service-discord [data-action="link"]`))
	// The simulated Discord's consent page: pick the user.
	p.follow("picking the Discord user", p.press(fmt.Sprintf(`button[name="user_id"][value="%s"]`, user.ID)))
	p.wantAt(site.URL, "/services")
	p.wantText(`#service-discord [data-field="external-name"]`, "pilot_one")
	p.screenshot(shots, "services-linked")

	guildPage := fmt.Sprintf("%s/guilds/%s", srv.URL, g.ID)
	p.waitFor("the role on the guild's page", guildPage, "Fleet")
	p.screenshot(shots, "guild-fleet")

	// The admin maps Scouts to a role of another name.
	a := p.stranger()
	a.visit("/")
	a.logIn(su)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	a.visit("/admin/services/discord")
	a.do("mapping Scouts", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`#map-%d`, scouts.ID)), "Recon"))
	a.follow("saving the service", a.press("#save-service"))
	a.screenshot(shots, "admin-service")
	if p := b.Post(t, "/groups/"+strconv.FormatInt(scouts.ID, 10)+"/join", nil); p.Status != 200 {
		t.Fatalf("join: %d", p.Status)
	}
	p.waitFor("the mapped role on the guild's page", guildPage, "Recon")
	if body := p.text("body"); strings.Contains(body, "Scouts") {
		t.Errorf("the guild's page shows a role Scouts, which the mapping replaced:\n%s", body)
	}
	p.screenshot(shots, "guild-recon")
}

// waitFor reloads an address until its page shows want (the services
// apply changes in the background).
func (p *page) waitFor(what, address, want string) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		p.loaded("opening "+address, run(p, "opening "+address, chromedp.NavigateResponse(address)))
		if strings.Contains(p.text("body"), want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %s does not show %q:\n%s", what, address, want, p.text("body"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
