package pings_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const (
	botToken  = "pings-bot-token"
	appID     = "400000000000000001"
	appSecret = "pings-app-secret"
)

// world is a site with an XMPP-like service (the in-memory service, whose
// connector is a Pinger), a Discord instance on the simulated Discord with
// a ping channel, groups, and members with their service accounts.
type world struct {
	site    *sitetest.Site
	svc     *services.Services
	mem     *memoryservice.Server
	sim     *discordsim.Server
	channel discordsim.Channel
	xmpp    services.Instance
	discord services.Instance
	guest   int64
	used    []int32
}

// member is a logged-in member.
type member struct {
	b       *sitetest.Browser
	account int64
	name    string
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{mem: memoryservice.New()}
	w.site = sitetest.Start(t, sitetest.Options{Dialect: d, ServiceTypes: []services.TypeConstructor{w.mem.Type}})
	w.svc = w.site.Services(t, w.mem.Type, discord.Type)
	w.sim = discordsim.New(discordsim.Options{BotToken: botToken, ClientID: appID, ClientSecret: appSecret})
	api := httptest.NewServer(w.sim)
	t.Cleanup(api.Close)
	owner := w.sim.AddUser("owner")
	guild := w.sim.AddGuild("Alliance", owner.ID)
	var err error
	if w.channel, err = w.sim.AddChannel(guild.ID, "pings"); err != nil {
		t.Fatal(err)
	}
	if err := w.site.DB.QueryRow(ctx, `SELECT id FROM states WHERE guest`).Scan(&w.guest); err != nil {
		t.Fatal(err)
	}
	// Staying in groups joined is the request permission's.
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, 'groups.request')`, w.guest); err != nil {
		t.Fatal(err)
	}
	w.xmpp = w.instance(t, "xmpp", "Jabber", memoryservice.TypeName, nil)
	w.discord = w.instance(t, "discord", "Discord", "discord", map[string]string{discord.SettingGuildID: guild.ID,
		discord.SettingClientID: appID, discord.SettingClientSecret: appSecret, discord.SettingBotToken: botToken,
		discord.SettingAPIURL: api.URL, discord.SettingPingChannel: w.channel.ID})
	return w
}

// instance makes an enabled instance open to Guests.
func (w *world) instance(t *testing.T, slug, name, typ string, settings map[string]string) services.Instance {
	t.Helper()
	ctx := context.Background()
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: typ, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: name, Enabled: true, MapByName: true, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, $2)`, w.guest, inst.Permission()); err != nil {
		t.Fatal(err)
	}
	return inst
}

// member logs in a new member holding permissions, in groups.
func (w *world) member(t *testing.T, permissions []string, groups ...int64) *member {
	t.Helper()
	ctx := context.Background()
	c := w.site.AccountCharacters(t, 1, w.used...)[0]
	w.used = append(w.used, c)
	m := &member{b: w.site.NewBrowser(t)}
	m.b.LogIn(t, c)
	ch, err := w.site.Accounts().Character(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	m.account, m.name = ch.AccountID, ch.Name
	if len(permissions) > 0 {
		if err := w.site.Accounts().SetPermissions(ctx, m.account, permissions); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range groups {
		m.b.JoinGroup(t, g)
	}
	return m
}

// activate gives a member an account on the XMPP-like service.
func (w *world) activate(t *testing.T, m *member) string {
	t.Helper()
	acct, _, err := w.svc.Activate(context.Background(), w.xmpp.Slug, m.account)
	if err != nil {
		t.Fatal(err)
	}
	return acct.ExternalID
}

// expect requests path (posting form when it is not nil) as m and checks
// the final status and texts (HTML-escaped here).
func (m *member) expect(t *testing.T, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	for i := range texts {
		texts[i] = html.EscapeString(texts[i])
	}
	return m.b.Expect(t, m.name, path, form, status, texts...)
}

// deliveries reads the record of the newest ping: its sender, groups and
// message, and its deliveries by kind, once none is queued or sending.
func (w *world) newest(t *testing.T) (pings.Ping, map[string]pings.Delivery) {
	t.Helper()
	ctx := context.Background()
	var p pings.Ping
	var groups string
	sitetest.WaitFor(t, "the ping's jobs to finish", func() bool {
		var n int
		if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM ping_deliveries WHERE status IN ('queued', 'sending')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	if err := w.site.DB.QueryRow(ctx, `SELECT id, sender_id, sender_name, groups, message, created_at FROM pings ORDER BY id DESC LIMIT 1`).
		Scan(&p.ID, &p.SenderID, &p.SenderName, &groups, &p.Message, &p.CreatedAt); err != nil {
		t.Fatal(err)
	}
	out := map[string]pings.Delivery{}
	rows, err := w.site.DB.Query(ctx, `SELECT kind, status, recipients, delivered, failed, error, COALESCE(instance_id, 0) FROM ping_deliveries WHERE ping_id = $1`, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d pings.Delivery
		if err := rows.Scan(&d.Kind, &d.Status, &d.Recipients, &d.Delivered, &d.Failed, &d.Error, &d.InstanceID); err != nil {
			t.Fatal(err)
		}
		out[d.Kind] = d
	}
	p.Groups = nil
	if !strings.Contains(groups, `"name"`) {
		t.Errorf("groups recorded as %s", groups)
	}
	return p, out
}

func ping(groups []int64, message string, instance int64, channels ...int64) url.Values {
	f := url.Values{"message": {message}, "instance": {strconv.FormatInt(instance, 10)}}
	for _, g := range groups {
		f.Add("groups", strconv.FormatInt(g, 10))
	}
	for _, c := range channels {
		f.Add("channels", strconv.FormatInt(c, 10))
	}
	return f
}

func TestGroupPings(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		testGroupPings(t, newWorld(t, d))
	})
}

func testGroupPings(t *testing.T, w *world) {
	ctx := context.Background()
	fleet, scouts := w.site.OpenGroup(t, "Fleet"), w.site.OpenGroup(t, "Scouts")
	send, sendAll, view := []string{pings.PermissionSend.Name}, []string{pings.PermissionSendAll.Name}, []string{pings.PermissionView.Name}

	officer := w.member(t, send, fleet)
	boss := w.member(t, sendAll)
	reader := w.member(t, view)
	nobody := w.member(t, nil, fleet)
	// Recipients: two in Fleet with an account, one in Fleet without, one
	// in Fleet whose account is in error, one in Scouts, one in both.
	a1, a2 := w.member(t, nil, fleet), w.member(t, nil, fleet)
	w.member(t, nil, fleet) // in Fleet without an account: not a recipient
	broken := w.member(t, nil, fleet)
	scout := w.member(t, nil, scouts)
	both := w.member(t, nil, fleet, scouts)
	ext := map[*member]string{}
	for _, m := range []*member{a1, a2, broken, scout, both} {
		ext[m] = w.activate(t, m)
	}
	w.site.SettleServices(t)
	if _, err := w.site.DB.Exec(ctx, `UPDATE service_accounts SET status = 'error', last_error = 'test' WHERE account_id = $1`, broken.account); err != nil {
		t.Fatal(err)
	}

	// Who may see the page and send.
	nobody.expect(t, "/pings", nil, http.StatusForbidden)
	nobody.expect(t, "/pings", ping([]int64{fleet}, "x", w.xmpp.ID), http.StatusForbidden)
	reader.expect(t, "/pings", ping([]int64{fleet}, "x", w.xmpp.ID), http.StatusForbidden)
	body := reader.expect(t, "/pings", nil, http.StatusOK, "Sent pings", "No ping sent yet.")
	if strings.Contains(body, `id="send-ping"`) {
		t.Error("a reader of the history is shown the form")
	}
	body = officer.expect(t, "/pings", nil, http.StatusOK, "Group pings", "Fleet", "Jabber", "Discord", "Your pings")
	if strings.Contains(body, "Scouts") {
		t.Error("a sender to their own groups is offered a group they are not in")
	}
	boss.expect(t, "/pings", nil, http.StatusOK, "Fleet", "Scouts")

	// Bad input: refused, with the reason, nothing recorded.
	officer.expect(t, "/pings", ping([]int64{scouts}, "Form up", w.xmpp.ID), http.StatusForbidden, "You may not ping one of the chosen groups.")
	officer.expect(t, "/pings", ping([]int64{fleet, scouts}, "Form up", w.xmpp.ID), http.StatusForbidden, "You may not ping one of the chosen groups.")
	officer.expect(t, "/pings", ping(nil, "Form up", w.xmpp.ID), http.StatusUnprocessableEntity, "Choose at least one group.")
	officer.expect(t, "/pings", ping([]int64{fleet}, "  \r\n ", w.xmpp.ID), http.StatusUnprocessableEntity, "Write a message.")
	officer.expect(t, "/pings", ping([]int64{fleet}, strings.Repeat("é", pings.MaxMessage+1), w.xmpp.ID), http.StatusUnprocessableEntity,
		"The message has 1501 characters; at most 1500 are allowed.")
	officer.expect(t, "/pings", ping([]int64{fleet}, "Form up", w.discord.ID), http.StatusUnprocessableEntity, "The chosen service cannot send pings.")
	officer.expect(t, "/pings", ping([]int64{fleet}, "Form up", 0, w.xmpp.ID), http.StatusUnprocessableEntity, "One of the chosen Discord services cannot post pings.")
	officer.expect(t, "/pings", ping([]int64{fleet}, "Form up", 0), http.StatusUnprocessableEntity, "Choose a service or a channel")
	// 1,500 characters fit, but not with a "sent by" line over 2,000.
	long := strings.Repeat("é", pings.MaxMessage)
	boss.expect(t, "/pings", ping([]int64{fleet}, long, w.xmpp.ID), http.StatusOK, "Your ping is on its way.")
	w.newest(t)
	var n int
	if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM pings`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d pings recorded after refusals and one ping (%v)", n, err)
	}

	// The officer pings Fleet over XMPP and in Discord's channel.
	before := time.Now().UTC().Add(-time.Second)
	officer.expect(t, "/pings", ping([]int64{fleet}, "Form up at the Keepstar", w.xmpp.ID, w.discord.ID), http.StatusOK, "Your ping is on its way.")
	p, ds := w.newest(t)
	if p.SenderID != officer.account || p.SenderName != officer.name || p.CreatedAt.Before(before) || p.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("recorded %+v, want sent by %d %s now", p, officer.account, officer.name)
	}
	for _, want := range []string{"Form up at the Keepstar\n\n##### SENT BY " + officer.name + " TO Fleet WHEN ", " UTC #####"} {
		if !strings.Contains(p.Message, want) {
			t.Errorf("message %q lacks %q", p.Message, want)
		}
	}
	if m := ds[pings.KindMembers]; m.Status != pings.StatusSent || m.Recipients != 3 || m.Delivered != 3 || m.Failed != 0 || m.InstanceID != w.xmpp.ID {
		t.Errorf("XMPP delivery %+v, want 3 of 3", m)
	}
	if c := ds[pings.KindChannel]; c.Status != pings.StatusSent || c.Delivered != 1 || c.InstanceID != w.discord.ID {
		t.Errorf("Discord delivery %+v", c)
	}
	// Exactly the members of Fleet with an active account, once each.
	for m, want := range map[*member]int{a1: 2, a2: 2, both: 2, scout: 0, broken: 0} {
		got := w.mem.Pings(ext[m])
		if len(got) != want {
			t.Errorf("%s got %d pings, want %d: %q", m.name, len(got), want, got)
		}
		if want > 0 && got[len(got)-1] != p.Message {
			t.Errorf("%s got %q, want %q", m.name, got[len(got)-1], p.Message)
		}
	}
	msgs := w.sim.Messages(w.channel.ID)
	if len(msgs) != 1 || msgs[0].Content != p.Message {
		t.Errorf("Discord channel has %+v, want the ping", msgs)
	}
	body = officer.expect(t, "/pings", nil, http.StatusOK, "Jabber", "Discord", "Sent")
	if !strings.Contains(body, `data-field="recipients">3<`) || !strings.Contains(body, `data-field="delivered">3<`) {
		t.Error("the history does not show 3 recipients, 3 delivered")
	}
	if !strings.Contains(body, html.EscapeString(p.Message)) {
		t.Error("the history does not show the text sent")
	}
	if strings.Count(body, "data-delivery=") != 2 {
		t.Errorf("the officer sees %d deliveries, want their own 2", strings.Count(body, "data-delivery="))
	}
	body = reader.expect(t, "/pings", nil, http.StatusOK, officer.name, boss.name)
	if strings.Count(body, "data-delivery=") != 3 {
		t.Errorf("the reader sees %d deliveries, want all 3", strings.Count(body, "data-delivery="))
	}

	// The boss pings any group: Scouts and Fleet, each member once.
	boss.expect(t, "/pings", ping([]int64{scouts, fleet}, "Scouts out", w.xmpp.ID), http.StatusOK)
	_, ds = w.newest(t)
	if m := ds[pings.KindMembers]; m.Recipients != 4 || m.Delivered != 4 {
		t.Errorf("Scouts and Fleet: %+v, want 4 of 4", m)
	}
	if got := w.mem.Pings(ext[both]); len(got) != 3 {
		t.Errorf("a member of both groups got %d pings, want 3", len(got))
	}

	// An account deleted on the service: recorded as not reached.
	w.mem.Delete(ext[a2])
	officer.expect(t, "/pings", ping([]int64{fleet}, "Again", w.xmpp.ID), http.StatusOK)
	_, ds = w.newest(t)
	if m := ds[pings.KindMembers]; m.Status != pings.StatusFailed || m.Recipients != 3 || m.Delivered != 2 || m.Failed != 1 ||
		!strings.Contains(m.Error, "1 of 3") {
		t.Errorf("with one account gone: %+v", m)
	}

	// Discord refusing: the bot may not see the channel (403, 50001),
	// then the channel is gone (404, 10003): failures, recorded.
	w.sim.SetChannelPermissions(w.channel.ID, 0)
	officer.expect(t, "/pings", ping([]int64{fleet}, "Channel hidden", 0, w.discord.ID), http.StatusOK)
	_, ds = w.newest(t)
	if c := ds[pings.KindChannel]; c.Status != pings.StatusFailed || c.Failed != 1 || c.Delivered != 0 || !strings.Contains(c.Error, "50001") {
		t.Errorf("hidden channel: %+v", c)
	}
	w.sim.DeleteChannel(w.channel.ID)
	officer.expect(t, "/pings", ping([]int64{fleet}, "Channel gone", 0, w.discord.ID), http.StatusOK)
	_, ds = w.newest(t)
	if c := ds[pings.KindChannel]; c.Status != pings.StatusFailed || c.Failed != 1 || !strings.Contains(c.Error, "10003") {
		t.Errorf("deleted channel: %+v", c)
	}
	officer.expect(t, "/pings", nil, http.StatusOK, "Failed", "10003")
}
