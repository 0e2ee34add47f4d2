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

	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestDiscordInABrowser is issue 15's admin and member, at a desktop and
// at a phone, on a simulated Discord set up as the demo's: the admin
// creates the Discord service, fills its settings, maps the group Scouts to
// the role Recon and enables it; the member, in the group Fleet, links
// Discord on the Services page through the simulated Discord's consent
// page, and the guild's page shows them with the role Fleet; they join
// Scouts, and the guild's page shows Recon.
func TestDiscordInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testDiscord)
}

func testDiscord(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	chars := site.AccountCharacters(t, 2)
	su, member := chars[0], chars[1]

	// The simulated Discord, as the demo's: a guild with the bot's role
	// on top, a user to pick, the site's callback registered.
	sim := discordsim.New(discordsim.Options{BotToken: "bot-token", ClientID: "100000000000000001", ClientSecret: "secret",
		RedirectURIs: []string{site.URL + "/services/discord/callback"}, MembersIntent: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	owner := sim.AddUser("guild_owner")
	g := sim.AddGuild("Keepstar demo", owner.ID)
	user := sim.AddUser("pilot_one")
	gs := groups.New(site.DB, groups.Options{Queue: site.Queue()})
	fleet, err := gs.Create(ctx, groups.Input{Name: "Fleet", Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	scouts, err := gs.Create(ctx, groups.Input{Name: "Scouts", Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()

	// The admin creates the service and maps Scouts to Recon.
	a := openBrowser(ctx, t, exe, site, vp)
	a.visit("/")
	a.logIn(su)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	a.visit("/admin/services")
	a.do("choosing Discord", chromedp.SetValue(chromedp.CSS("#type"), "discord"))
	a.do("naming the service", chromedp.SendKeys(chromedp.CSS("#slug"), "discord"), chromedp.SendKeys(chromedp.CSS("#name"), "Discord"))
	a.follow("creating the service", a.press("#create-service"))
	a.wantAt(site.URL, "/admin/services/discord")
	for field, value := range map[string]string{"guild_id": g.ID, "client_id": "100000000000000001", "client_secret": "secret",
		"bot_token": "bot-token", "api_url": srv.URL} {
		a.do("setting "+field, chromedp.SendKeys(chromedp.CSS("#setting-"+field), value))
	}
	a.tick("#enabled", true)
	a.do("mapping Scouts to a named role", chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#map-%d", scouts.ID)), "name"),
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#map-name-%d", scouts.ID)), "Recon"))
	a.follow("saving the service", a.press("#save-service"))
	a.screenshot(shots, "admin-service")
	// Who may use it: the Guest state here (the demo gives it to Member
	// and Blue), as the state's page grants it.
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, 'services.discord.access' FROM states WHERE guest UNION SELECT id, 'groups.request' FROM states WHERE guest`); err != nil {
		t.Fatal(err)
	}
	var enabled bool
	if err := site.DB.QueryRow(ctx, `SELECT enabled FROM service_instances WHERE slug = 'discord'`).Scan(&enabled); err != nil || !enabled {
		t.Fatalf("the service saved enabled=%v (%v)", enabled, err)
	}

	// The member, in Fleet, links Discord.
	b := site.NewBrowser(t)
	b.LogIn(t, member)
	if p := b.Post(t, "/groups/"+strconv.FormatInt(fleet.ID, 10)+"/join", nil); p.Status != 200 {
		t.Fatalf("join: %d", p.Status)
	}
	p := a.stranger()
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

	// They join Scouts: the mapped role comes.
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
