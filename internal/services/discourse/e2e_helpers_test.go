package discourse_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discoursesim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discourse"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The end-to-end tests of the Discourse service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with
// Discourse instances on internal/discoursesim. Members use the forum as
// browsers do: the forum's /session/sso sends them to Keepstar, which
// sends them back signed in; what they get is read back from the forum.

const (
	connectSecret = "e2e-connect-secret-0123456789"
	apiKey        = "e2eadminkey0123456789abcdef"
	emailDomain   = "users.forum.test"
)

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

// forum is one simulated Discourse and its instance.
type forum struct {
	sim  *discoursesim.Server
	url  string
	inst services.Instance
}

// world is a site with the Discourse instance "forum": groups mapped by
// name, "Friends" unmanaged, open to Guests.
type world struct {
	site  *sitetest.Site
	svc   *services.Services
	forum *forum
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-20000):])
		}
	})
	w := &world{site: site, svc: site.Services(t, discourse.Type)}
	site.GrantGuests(t, "groups.request")
	w.forum = w.newForum(t, "forum", "{character_name}")
	return w
}

// newForum starts a simulated forum and makes its instance, enabled and
// open to Guests.
func (w *world) newForum(t *testing.T, slug, format string) *forum {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	sim := discoursesim.New(discoursesim.Options{BaseURL: base, ConnectURL: w.site.URL + "/services/" + slug + "/sso",
		Secret: connectSecret, APIKey: apiKey, OverridesName: true, OverridesUsername: true})
	for _, g := range []string{"Friends"} {
		if err := sim.AddGroup(g); err != nil {
			t.Fatal(err)
		}
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: sim}}
	srv.Start()
	t.Cleanup(srv.Close)
	f := &forum{sim: sim, url: base}
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: discourse.TypeName, Name: "Forum " + slug})
	if err != nil {
		t.Fatal(err)
	}
	f.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Forum " + slug, Enabled: true, MapByName: true,
		NameFormat: format, Unmanaged: []string{"Friends"},
		Settings: map[string]string{discourse.SettingURL: base, discourse.SettingConnectSecret: connectSecret,
			discourse.SettingAPIKey: apiKey, discourse.SettingEmailDomain: emailDomain, discourse.SettingCreateGroups: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	w.grant(t, f)
	return f
}

func (w *world) grant(t *testing.T, f *forum) {
	t.Helper()
	w.site.GrantGuests(t, f.inst.Permission())
}

// revoke takes the forum's permission from Guests and syncs the member.
func (w *world) revoke(t *testing.T, f *forum, m *member) {
	t.Helper()
	ctx := context.Background()
	w.site.RevokeGuests(t, f.inst.Permission())
	if _, err := w.svc.SyncAccount(ctx, f.inst.ID, m.AccountID, "test: permission removed"); err != nil {
		t.Fatal(err)
	}
	w.site.SettleServices(t)
}

// member is a player logged in to the site.
type member struct {
	*sitetest.Member
}

func (w *world) member(t *testing.T) *member {
	t.Helper()
	return &member{Member: w.site.NewMember(t)}
}

// signIn has the member log in on the forum, as their browser does: the
// forum's login sends them to Keepstar and back. It gives the page they
// end on.
func (f *forum) signIn(t *testing.T, m *member) sitetest.Page {
	t.Helper()
	return m.Browser.Get(t, f.url+"/session/sso?return_path=/")
}

// signedIn signs the member in and checks they end on the forum logged in.
func (w *world) signedIn(t *testing.T, f *forum, m *member) discoursesim.User {
	t.Helper()
	p := f.signIn(t, m)
	if p.Status != http.StatusOK || p.URL != f.url+"/" || !strings.Contains(p.Body, "Logged in as") {
		t.Fatalf("forum login ended at %s with %d:\n%s\nvia %v", p.URL, p.Status, p.Body, p.Visited)
	}
	w.site.SettleServices(t)
	u, ok := f.sim.UserByExternal(strconv.FormatInt(m.AccountID, 10))
	if !ok {
		t.Fatalf("no forum user for account %d: %+v", m.AccountID, f.sim.Users())
	}
	return u
}

// request gives the forum's signed request to Keepstar for this browser:
// the Location of its /session/sso, not followed.
func (f *forum) request(t *testing.T, m *member) *url.URL {
	t.Helper()
	res, err := m.Browser.Client.Get(f.url + "/session/sso")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("the forum's /session/sso: %d %v", res.StatusCode, err)
	}
	return u
}

// get requests u once in the member's browser, without following.
func get(t *testing.T, m *member, u string) *http.Response {
	t.Helper()
	res, err := m.Browser.Client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
