package xenforo_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xenforo"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/xenforosim"
)

// The end-to-end tests of the XenForo service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with
// XenForo instances on internal/xenforosim, XenAPI's api.php. Members use
// the Services page as browsers do and log in on the fake forum with the
// credentials it showed them once.

const (
	apiKey      = "e2e-xenapi-key-0123456789abcdef"
	emailDomain = "users.forum.test"
)

var eachEngine = storetest.EachDialect

type forum struct {
	sim  *xenforosim.Server
	inst services.Instance
	// down makes the forum's web server answer 503, as one whose PHP is
	// failing does.
	down atomic.Bool
	// refused counts the requests answered 503.
	refused atomic.Int64
}

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
	w := &world{site: site, svc: site.Services(t, xenforo.Type)}
	site.GrantGuests(t, "groups.request")
	w.forum = w.newForum(t, "xf", "{character_name}")
	return w
}

func (w *world) newForum(t *testing.T, slug, format string) *forum {
	t.Helper()
	ctx := context.Background()
	sim := xenforosim.New(xenforosim.Options{APIKey: apiKey})
	for _, g := range []string{"Keepstar", "Fleet Command", "Friends"} {
		sim.AddGroup(g)
	}
	f := &forum{sim: sim}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			f.refused.Add(1)
			http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: xenforo.TypeName, Name: "XenForo " + slug})
	if err != nil {
		t.Fatal(err)
	}
	f.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "XenForo " + slug, Enabled: true, MapByName: true,
		NameFormat: format, Unmanaged: []string{"Friends"},
		Settings: map[string]string{xenforo.SettingEndpoint: srv.URL + "/api.php", xenforo.SettingAPIKey: apiKey,
			xenforo.SettingMemberGroup: "Keepstar", xenforo.SettingEmailDomain: emailDomain}})
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

func (w *world) revoke(t *testing.T, f *forum, m *member) {
	t.Helper()
	ctx := context.Background()
	w.site.RevokeGuests(t, f.inst.Permission())
	if _, err := w.svc.SyncAccount(ctx, f.inst.ID, m.AccountID, "test: permission removed"); err != nil {
		t.Fatal(err)
	}
	w.site.SettleServices(t)
}

type member struct {
	*sitetest.Member
	username string
	password string
}

func (w *world) member(t *testing.T) *member {
	t.Helper()
	return &member{Member: w.site.NewMember(t)}
}

var (
	shownUsername = regexp.MustCompile(`<code id="credentials-username">([^<]*)</code>`)
	shownPassword = regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`)
)

// credentials reads the page that shows them once.
func (m *member) credentials(t *testing.T, p sitetest.Page) {
	t.Helper()
	u, pw := shownUsername.FindStringSubmatch(p.Body), shownPassword.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || u == nil || pw == nil {
		t.Fatalf("no credentials shown (%d at %s):\n%s", p.Status, p.URL, p.Body)
	}
	m.username, m.password = html.UnescapeString(u[1]), html.UnescapeString(pw[1])
}

// activate presses Activate for the instance and keeps the credentials.
func (w *world) activate(t *testing.T, f *forum, m *member) xenforosim.User {
	t.Helper()
	m.credentials(t, m.Browser.Post(t, "/services/"+f.inst.Slug+"/activate", url.Values{}))
	w.site.SettleServices(t)
	u, ok := f.sim.User(m.username)
	if !ok {
		t.Fatalf("no forum user %q: %+v", m.username, f.sim.Users())
	}
	return u
}

// secretsInURLs reports whether a request URL the forum's web server
// saw held the key or a password.
func secretsInURLs(f *forum, secrets ...string) bool {
	for _, e := range f.sim.Log() {
		for _, s := range secrets {
			if s != "" && strings.Contains(e.RequestURI, url.QueryEscape(s)) || strings.Contains(e.RequestURI, s) {
				return true
			}
		}
	}
	return false
}
