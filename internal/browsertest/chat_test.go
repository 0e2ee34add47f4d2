package browsertest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/services/forumdb/forumdbtest"
	"github.com/keepstar/keepstar/internal/services/phpbb3"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestForumChatAndPingInABrowser is issue 17's member and officer, at a
// desktop and at a phone, on a phpBB3 forum's tables in the real MariaDB
// and the real ejabberd: the member activates the forum and the chat on
// the Services page and reads each login and password once (the forum's
// stored hash takes the password; the chat server lets them log in with
// it); the officer sends a ping to their group on the pings page, the
// history shows it delivered, and the member's XMPP client receives it.
func TestForumChatAndPingInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testForumChatAndPing)
}

func testForumChatAndPing(t *testing.T, exe string, vp viewport) {
	schema, err := os.ReadFile("../services/phpbb3/testdata/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	forum := forumdbtest.New(t, string(schema), "phpbb_") // skips without MariaDB
	ej := ejabberdtest.Start(t, ejabberdtest.Options{})   // skips without ejabberd
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	chars := site.AccountCharacters(t, 2)
	officer, member := chars[0], chars[1]

	svc := site.Services(t, phpbb3.Type, xmpp.Type)
	set := forum.Settings("", "phpbb_")
	set[forumdb.SettingCreateGroups] = "true"
	forumInst := enable(ctx, t, svc, services.Input{Slug: "forum", Type: phpbb3.TypeName, Name: "Alliance forum", Settings: set})
	chat := enable(ctx, t, svc, services.Input{Slug: "chat", Type: xmpp.TypeName, Name: "Alliance chat",
		Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendEjabberd, xmpp.SettingAPIURL: ej.APIURL,
			xmpp.SettingDomain: ej.Domain, xmpp.SettingSender: "pings@" + ej.Domain}})
	site.GrantGuests(t, forumInst.Permission(), chat.Permission(), "groups.request", "pings.send")
	fleet := site.OpenGroup(t, "Fleet")
	for _, c := range []int32{officer, member} {
		b := site.NewBrowser(t)
		b.LogIn(t, c)
		b.JoinGroup(t, fleet)
	}
	site.SettleServices(t)
	shots := t.ArtifactDir()

	// The member activates both and reads each password once.
	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(member)
	p.visit("/services")
	p.waitVisible(`#service-forum [data-action="activate"]`)
	p.fitsWidth()
	p.screenshot(shots, "forum-chat-not-active")
	forumName, forumPassword := p.activate("forum")
	p.screenshot(shots, "forum-credentials")
	var hash string
	if err := forum.DB.QueryRowContext(ctx, `SELECT user_password FROM phpbb_users WHERE username = ?`, forumName).Scan(&hash); err != nil {
		t.Fatalf("the forum's user %q: %v", forumName, err)
	}
	if !phpbb3.Verify(hash, forumPassword) {
		t.Errorf("the forum's stored hash %.7s… does not take the password shown", hash)
	}
	jid, chatPassword := p.activate("chat")
	p.screenshot(shots, "chat-credentials")
	site.SettleServices(t)
	client, err := ejabberdtest.Login(ctx, ej.C2SAddr, jid, chatPassword)
	if err != nil {
		t.Fatalf("XMPP login as %s with the password shown: %v", jid, err)
	}
	t.Cleanup(func() { client.Close() })
	p.visit("/services")
	p.wantText(`#service-forum [data-field="external-name"]`, forumName)
	body := p.text("body")
	for _, secret := range []string{forumPassword, chatPassword} {
		if strings.Contains(body, secret) {
			t.Error("the Services page shows a password again")
		}
	}
	p.fitsWidth()
	p.screenshot(shots, "forum-chat-active")

	// The officer pings Fleet over the chat.
	o := p.stranger()
	o.visit("/")
	o.logIn(officer)
	o.visit("/pings")
	o.waitVisible("#send-ping")
	o.fitsWidth()
	text := "Form up in Jita, undock in 10"
	o.tick(fmt.Sprintf("#group-%d", fleet), true)
	o.do("writing the ping", chromedp.SendKeys(chromedp.CSS("#message"), text),
		chromedp.SetValue(chromedp.CSS("#instance"), strconv.FormatInt(chat.ID, 10)))
	o.screenshot(shots, "ping-form")
	o.follow("sending the ping", o.press("#send"))
	deadline := time.Now().Add(60 * time.Second)
	// Only the member has an account on the chat: one recipient.
	for o.text(`#ping-history [data-field="delivered"]`) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("the history shows delivered %q, status %q", o.text(`#ping-history [data-field="delivered"]`),
				o.text(`#ping-history [data-field="status"]`))
		}
		time.Sleep(250 * time.Millisecond)
		o.visit("/pings")
	}
	o.fitsWidth()
	o.screenshot(shots, "ping-history")
	select {
	case m := <-client.Messages():
		if !strings.HasPrefix(m.Body, text) || !strings.Contains(m.Body, "SENT BY") {
			t.Errorf("the member's client got %q", m.Body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the member's XMPP client got no ping")
	}
}

// enable creates an enabled instance, its groups mapped by name.
func enable(ctx context.Context, t *testing.T, svc *services.Services, in services.Input) services.Instance {
	t.Helper()
	inst, err := svc.Create(ctx, services.Input{Slug: in.Slug, Type: in.Type, Name: in.Name})
	if err != nil {
		t.Fatal(err)
	}
	in.Enabled, in.MapByName = true, true
	if inst, err = svc.Update(ctx, inst.ID, in); err != nil {
		t.Fatal(err)
	}
	return inst
}

// activate presses a service's Activate and reads the login and password
// the page shows once.
func (p *page) activate(slug string) (username, password string) {
	p.t.Helper()
	p.visit("/services")
	p.follow("activating "+slug, p.press(fmt.Sprintf(`#service-%s [data-action="activate"]`, slug)))
	username, password = p.text("#credentials-username"), p.text("#credentials-password")
	if username == "" || len(password) < 16 {
		p.t.Fatalf("%s's credentials shown: %q / %q", slug, username, password)
	}
	p.fitsWidth()
	return username, password
}
