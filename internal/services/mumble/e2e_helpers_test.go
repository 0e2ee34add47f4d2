package mumble_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/mumble"
	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The end-to-end tests of the Mumble service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with a
// Mumble instance on the real murmurd (KEEPSTAR_TEST_MURMURD), members
// using the pages, and real Mumble clients logging in over TLS.

// nameFormat is the instance's name format: the main's ticker shows.
const nameFormat = "[{corp_ticker}]{character_name}"

// runEvery is how often the test's own Keepstar process (beside the
// site's) looks at the instances: it registers the authenticator at once.
const runEvery = 50 * time.Millisecond

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

// world is a site with the Mumble instance "mumble" on a real murmurd,
// open to Guests, groups mapped by name and the state as a group.
type world struct {
	site    *sitetest.Site
	murmurd *mumbletest.Murmurd
	svc     *services.Services
	inst    services.Instance
	guest   int64
	stopRun func()
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	// Started first: without murmurd the test skips before a site is made.
	m := mumbletest.Start(t, mumbletest.Options{Ini: []string{"autobanAttempts=0"}})
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-20000):])
			t.Log(m.Log())
		}
	})
	w := &world{site: site, murmurd: m, svc: site.Services(t, mumble.Type)}
	w.guest = site.GuestState(t)
	site.GrantGuests(t, "groups.request")
	inst, err := w.svc.Create(ctx, services.Input{Slug: "mumble", Type: mumble.TypeName, Name: "Mumble"})
	if err != nil {
		t.Fatal(err)
	}
	w.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Mumble", Enabled: true, MapByName: true, StateAsGroup: true,
		NameFormat: nameFormat, Settings: map[string]string{mumble.SettingIceAddress: m.IceAddr, mumble.SettingIceSecret: m.Secret,
			mumble.SettingPublicAddress: m.VoiceAddr}})
	if err != nil {
		t.Fatal(err)
	}
	site.GrantGuests(t, w.inst.Permission())
	w.startKeepstar(t)
	w.waitRegistered(t)
	return w
}

// startKeepstar runs the services' run loop of a Keepstar process of the
// test's own, which takes the instance's run lease before the site's
// process looks (every 10 s): the authenticator is registered at once.
func (w *world) startKeepstar(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.svc.RunEvery(ctx, runEvery)
	}()
	w.stopRun = func() { cancel(); <-done }
	t.Cleanup(func() { w.stopRun() })
}

// meta connects to murmurd's Ice endpoint as a test looking at the server.
func (w *world) meta(t *testing.T) *murmur.Server {
	t.Helper()
	ctx := context.Background()
	meta, err := murmur.Dial(ctx, w.murmurd.IceAddr, w.murmurd.Secret, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	srv, err := meta.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// waitRegistered waits until Keepstar answers murmurd's logins: a name it
// does not know is refused by it (-1), where murmurd alone would try its
// own users (-2) or, with forceExternalAuth and no authenticator, refuse
// as unverifiable (-3).
func (w *world) waitRegistered(t *testing.T) {
	t.Helper()
	srv := w.meta(t)
	sitetest.WaitFor(t, "Keepstar to be murmurd's authenticator", func() bool {
		id, err := srv.VerifyPassword(context.Background(), "nobody-here", "x")
		return err == nil && id == murmur.AuthRefused
	})
}

// member is a player logged in to the site.
type member struct {
	*sitetest.Member
	// username and password are those the Services page showed.
	username, password string
}

func (w *world) member(t *testing.T) *member {
	t.Helper()
	return &member{Member: w.site.NewMember(t)}
}

var (
	shownUsername = regexp.MustCompile(`<code id="credentials-username">([^<]*)</code>`)
	shownPassword = regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`)
)

// activate activates the member's Mumble account on the Services page and
// keeps the credentials it shows once.
func (w *world) activate(t *testing.T, m *member) {
	t.Helper()
	p := m.Browser.Post(t, "/services/mumble/activate", url.Values{})
	u, pw := shownUsername.FindStringSubmatch(p.Body), shownPassword.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || u == nil || pw == nil {
		t.Fatalf("activation: %d\n%s", p.Status, p.Body)
	}
	m.username, m.password = html.UnescapeString(u[1]), html.UnescapeString(pw[1])
	w.site.SettleServices(t)
}

// connect logs a real Mumble client in as the member.
func (w *world) connect(t *testing.T, username, password string) (*mumbletest.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := mumbletest.Connect(ctx, w.murmurd.VoiceAddr, username, password)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// refused checks that a login was refused for why.
func refused(t *testing.T, err error, why mumbletest.RejectType) {
	t.Helper()
	var r *mumbletest.RejectError
	if !errors.As(err, &r) || r.Type != why {
		t.Errorf("login: %v, want refused %s", err, why)
	}
}

// gatedChannel makes a channel only members of group may enter.
func gatedChannel(t *testing.T, srv *murmur.Server, name, group string) int {
	t.Helper()
	ctx := context.Background()
	ch, err := srv.AddChannel(ctx, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	acls := []murmur.ACL{
		{ApplyHere: true, ApplySubs: true, UserID: -1, Group: "all", Deny: murmur.PermissionEnter},
		{ApplyHere: true, ApplySubs: true, UserID: -1, Group: group, Allow: murmur.PermissionEnter},
	}
	if err := srv.SetACL(ctx, ch, acls, nil, true); err != nil {
		t.Fatal(err)
	}
	return ch
}

// session finds a connected user's state on murmurd.
func session(t *testing.T, srv *murmur.Server, id int) (murmur.User, bool) {
	t.Helper()
	list, err := srv.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if u.Session == id {
			return u, true
		}
	}
	return murmur.User{}, false
}
