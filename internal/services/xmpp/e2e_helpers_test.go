package xmpp_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/openfiresim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The end-to-end tests of the XMPP service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with
// XMPP instances on the real ejabberd (KEEPSTAR_TEST_EJABBERD), members
// using the pages, and a real XMPP client logging in.

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

// secondDomain is the second instance's domain on the same ejabberd.
const secondDomain = "second.test"

// world is a site with the XMPP instance "xmpp" on a real ejabberd, open
// to Guests, groups mapped by name and the state as a group.
type world struct {
	site  *sitetest.Site
	ej    *ejabberdtest.Server
	of    *openfiresim.Server
	svc   *services.Services
	inst  services.Instance
	guest int64
}

func newWorld(t *testing.T, d config.Dialect, nameFormat string) *world {
	t.Helper()
	// Started first: without ejabberd the test skips before a site is made.
	ej := ejabberdtest.Start(t, ejabberdtest.Options{Hosts: []string{secondDomain}})
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-20000):])
			l = ej.Log()
			t.Log(l[max(0, len(l)-5000):])
		}
	})
	w := &world{site: site, ej: ej, svc: site.Services(t, xmpp.Type)}
	w.grantRequests(t)
	w.inst = w.instance(t, "xmpp", ej.Domain, nameFormat)
	return w
}

// openfireDomain is the fake Openfire's XMPP domain.
const openfireDomain = "openfire.test"

// newOpenfireWorld is a site with the XMPP instance "xmpp" on the fake
// Openfire.
func newOpenfireWorld(t *testing.T, d config.Dialect, nameFormat string) *world {
	t.Helper()
	ctx := context.Background()
	of := openfiresim.New("the-secret-key", openfireDomain)
	srv := httptest.NewServer(of.Handler())
	t.Cleanup(srv.Close)
	site := sitetest.Start(t, sitetest.Options{Dialect: d})
	w := &world{site: site, of: of, svc: site.Services(t, xmpp.Type)}
	w.grantRequests(t)
	inst, err := w.svc.Create(ctx, services.Input{Slug: "xmpp", Type: xmpp.TypeName, Name: "Openfire"})
	if err != nil {
		t.Fatal(err)
	}
	w.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Openfire", Enabled: true, MapByName: true, StateAsGroup: true,
		NameFormat: nameFormat, Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendOpenfire,
			xmpp.SettingAPIURL: srv.URL, xmpp.SettingAPISecret: "the-secret-key", xmpp.SettingDomain: openfireDomain}})
	if err != nil {
		t.Fatal(err)
	}
	site.GrantGuests(t, w.inst.Permission())
	return w
}

// grantRequests finds the Guest state and lets it request groups.
func (w *world) grantRequests(t *testing.T) {
	t.Helper()
	site := w.site
	w.guest = site.GuestState(t)
	site.GrantGuests(t, "groups.request")
}

// instance makes an enabled instance on the test ejabberd's domain,
// granted to Guests.
func (w *world) instance(t *testing.T, slug, domain, nameFormat string) services.Instance {
	t.Helper()
	ctx := context.Background()
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: xmpp.TypeName, Name: "Chat " + slug})
	if err != nil {
		t.Fatal(err)
	}
	inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Chat " + slug, Enabled: true, MapByName: true, StateAsGroup: true,
		NameFormat: nameFormat, Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendEjabberd,
			xmpp.SettingAPIURL: w.ej.APIURL, xmpp.SettingDomain: domain, xmpp.SettingSender: "pings@" + domain}})
	if err != nil {
		t.Fatal(err)
	}
	w.site.GrantGuests(t, inst.Permission())
	return inst
}

// member is a player logged in to the site.
type member struct {
	*sitetest.Member
	// jid and password are those the Services page showed.
	jid, password string
}

func (w *world) member(t *testing.T) *member {
	t.Helper()
	return &member{Member: w.site.NewMember(t)}
}

var (
	shownUsername = regexp.MustCompile(`<code id="credentials-username">([^<]*)</code>`)
	shownPassword = regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`)
)

// activate activates the member's account on an instance's Services page
// and keeps the credentials it shows once.
func (w *world) activate(t *testing.T, m *member, slug string) {
	t.Helper()
	p := m.Browser.Post(t, "/services/"+slug+"/activate", url.Values{})
	u, pw := shownUsername.FindStringSubmatch(p.Body), shownPassword.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || u == nil || pw == nil {
		t.Fatalf("activation: %d\n%s", p.Status, p.Body)
	}
	m.jid, m.password = html.UnescapeString(u[1]), html.UnescapeString(pw[1])
	w.site.SettleServices(t)
}

// login logs a real XMPP client in.
func (w *world) login(t *testing.T, jid, password string) (*ejabberdtest.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ejabberdtest.Login(ctx, w.ej.C2SAddr, jid, password)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// api calls ejabberd's API as an admin looking at the server.
func (w *world) api(t *testing.T, command string, args map[string]string, out any) {
	t.Helper()
	b, _ := json.Marshal(args)
	resp, err := http.Post(w.ej.APIURL+"/"+command, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", command, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %s: %v", command, raw, err)
		}
	}
}

// members reads a shared roster group's members.
func (w *world) members(t *testing.T, group string) []string {
	t.Helper()
	var out []string
	w.api(t, "srg_get_members", map[string]string{"group": group, "host": w.ej.Domain}, &out)
	slices.Sort(out)
	return out
}

// inGroup reports whether a JID is in a shared roster group.
func (w *world) inGroup(t *testing.T, jid, group string) bool {
	return slices.Contains(w.members(t, group), jid)
}

// superuser makes a member superuser.
func (w *world) superuser(t *testing.T, m *member) {
	t.Helper()
	if _, _, err := w.site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(m.Character))); err != nil {
		t.Fatal(err)
	}
}

// revokeGuests takes the instance's permission from Guests, on the
// state's page as a superuser does.
func (w *world) revokeGuests(t *testing.T, admin *member, keep ...string) {
	t.Helper()
	admin.Browser.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(w.guest, 10), url.Values{
		"name": {"Guest"}, "priority": {"0"}, "permissions": append([]string{"groups.request"}, keep...)}, http.StatusOK)
	w.site.SettleServices(t)
}

// grantGuests gives it back.
func (w *world) grantGuests(t *testing.T, admin *member) {
	t.Helper()
	admin.Browser.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(w.guest, 10), url.Values{
		"name": {"Guest"}, "priority": {"0"}, "permissions": {"groups.request", w.inst.Permission()}}, http.StatusOK)
	w.site.SettleServices(t)
}

// waitMessage waits for a message with body on a client.
func waitMessage(t *testing.T, c *ejabberdtest.Client, body string) ejabberdtest.Message {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-c.Messages():
			if m.Body == body {
				return m
			}
		case <-timeout:
			t.Fatalf("no message %q within 20 s", body)
		}
	}
}

// timeout is a 20 s timer for a select.
func timeout(t *testing.T) <-chan time.Time {
	t.Helper()
	return time.After(20 * time.Second)
}
