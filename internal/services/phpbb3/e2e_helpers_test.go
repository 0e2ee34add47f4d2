package phpbb3_test

import (
	"context"
	_ "embed"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/services/forumdb/forumdbtest"
	"github.com/keepstar/keepstar/internal/services/phpbb3"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// The end-to-end tests of the phpBB3 service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with
// phpBB instances on a fixture forum database on the real MariaDB
// (KEEPSTAR_TEST_MARIADB_DSN), members using the pages.

//go:embed testdata/schema.sql
var schema string

// world is a site with the phpBB instance "forum" (prefix phpbb_, reached
// through a proxy the test can cut), open to Guests, groups mapped by
// name, missing groups made.
type world struct {
	site  *sitetest.Site
	forum *forumdbtest.Forum
	proxy *forumdbtest.Proxy
	svc   *services.Services
	inst  services.Instance
	guest int64
}

func newWorld(t *testing.T, d config.Dialect, nameFormat string) *world {
	t.Helper()
	f := forumdbtest.New(t, schema, "phpbb_", "second_") // first: without MariaDB the test skips
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-20000):])
		}
	})
	w := &world{site: site, forum: f, proxy: forumdbtest.NewProxy(t, f.Addr()), svc: site.Services(t, phpbb3.Type)}
	w.guest = site.GuestState(t)
	site.GrantGuests(t, "groups.request")
	w.inst = w.instance(t, "forum", w.proxy.Addr, "phpbb_", nameFormat)
	return w
}

// instance makes an enabled phpBB instance Guests may use.
func (w *world) instance(t *testing.T, slug, addr, prefix, nameFormat string) services.Instance {
	t.Helper()
	ctx := context.Background()
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: phpbb3.TypeName, Name: "Forum " + slug})
	if err != nil {
		t.Fatal(err)
	}
	set := w.forum.Settings(addr, prefix)
	set[forumdb.SettingCreateGroups] = "true"
	set[forumdb.SettingAvatar] = "true"
	inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Forum " + slug, Enabled: true, MapByName: true,
		NameFormat: nameFormat, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	w.site.GrantGuests(t, inst.Permission())
	return inst
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

// activate activates the member's account on an instance on the Services
// page and keeps the credentials it shows once.
func (w *world) activate(t *testing.T, m *member, slug string) {
	t.Helper()
	p := m.Browser.Post(t, "/services/"+slug+"/activate", url.Values{})
	u, pw := shownUsername.FindStringSubmatch(p.Body), shownPassword.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || u == nil || pw == nil {
		t.Fatalf("activation: %d\n%s", p.Status, p.Body)
	}
	m.username, m.password = html.UnescapeString(u[1]), html.UnescapeString(pw[1])
	w.site.SettleServices(t)
}

// forumUser is the member's users row on a forum, read as phpBB's login
// finds it: by username_clean of the name typed.
type forumUser struct {
	id       int64
	typ      int
	name     string
	password string
	avatar   string
}

func (w *world) login(t *testing.T, prefix, typed string) (forumUser, bool) {
	t.Helper()
	var u forumUser
	err := w.forum.DB.QueryRowContext(context.Background(), `SELECT user_id, user_type, username, user_password, user_avatar FROM `+
		prefix+`users WHERE username_clean = ?`, phpbb3.Clean(typed)).Scan(&u.id, &u.typ, &u.name, &u.password, &u.avatar)
	if err != nil {
		return u, false
	}
	return u, true
}

// canLogIn says whether phpBB's login (auth_provider_db) lets the typed
// name and password in: found by username_clean, not inactive, the
// password verified.
func (w *world) canLogIn(t *testing.T, prefix, typed, password string) bool {
	t.Helper()
	u, ok := w.login(t, prefix, typed)
	return ok && u.typ != 1 && u.typ != 2 && phpbb3.Verify(u.password, password)
}

// groups gives the user's groups on a forum.
func (w *world) groups(t *testing.T, prefix string, id int64) []string {
	t.Helper()
	rows, err := w.forum.DB.QueryContext(context.Background(), `SELECT g.group_name FROM `+prefix+`user_group ug JOIN `+prefix+
		`groups g ON g.group_id = ug.group_id WHERE ug.user_id = ? AND ug.user_pending = 0 ORDER BY g.group_name`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// revokeGuests takes the instances' permission from Guests, as an admin
// does on the state's page.
func (w *world) setGuestPermissions(t *testing.T, perms ...string) {
	t.Helper()
	admin := w.member(t)
	if _, _, err := w.site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(admin.Character))); err != nil {
		t.Fatal(err)
	}
	admin.Browser.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(w.guest, 10), url.Values{
		"name": {"Guest"}, "priority": {"0"}, "permissions": append([]string{"groups.request"}, perms...)}, http.StatusOK)
	w.site.SettleServices(t)
}
