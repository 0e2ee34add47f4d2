package discord_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The end-to-end tests of the Discord service: a whole site (the serve
// process on a fresh database of either engine, the simulated EVE) with
// Discord instances pointed at internal/discordsim, served over real HTTP.
// Members use the pages as browsers do; what they get is read back from the
// simulated Discord, as a member would see it in Discord's app.

// The simulated Discord's application and bot, which every instance uses.
const (
	appID     = "424242424242424242" // the bot's user id too, as on Discord
	appSecret = "e2e-client-secret"
	botToken  = "e2e-bot-token"
)

// nameFormat is the default instance's name format: the main's corporation
// ticker shows on Discord.
const nameFormat = "[{corp_ticker}] {character_name}"

// slugs are the instances a test may make; the simulated application
// accepts their callbacks.
var slugs = []string{"discord", "discord2"}

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

// world is a site with the Discord instance "discord" on the guild
// "Alliance" of a simulated Discord, mapping groups to roles by name, open
// to Guests.
type world struct {
	site    *sitetest.Site
	sim     *discordsim.Server
	api     *httptest.Server
	traffic *traffic
	svc     *services.Services
	owner   discordsim.User
	guild   discordsim.Guild
	inst    services.Instance
	guest   int64 // the guest state
	taken   []int32
	groups  *groups.Store
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			l := logs.String()
			t.Log(l[max(0, len(l)-30000):])
		}
	})
	w := &world{site: site, traffic: &traffic{}, svc: site.Services(t, discord.Type),
		groups: groups.New(site.DB, groups.Options{Queue: site.Queue()})}
	var callbacks []string
	for _, slug := range slugs {
		callbacks = append(callbacks, site.URL+"/services/"+slug+"/callback")
	}
	w.sim = discordsim.New(discordsim.Options{BotToken: botToken, ClientID: appID, ClientSecret: appSecret,
		RedirectURIs: callbacks})
	w.api = httptest.NewServer(w.traffic.record(w.sim))
	t.Cleanup(w.api.Close)
	w.owner = w.sim.AddUser("owner")
	w.guild = w.sim.AddGuild("Alliance", w.owner.ID)
	if err := site.DB.QueryRow(ctx, `SELECT id FROM states WHERE guest`).Scan(&w.guest); err != nil {
		t.Fatal(err)
	}
	// Staying in groups joined is the request permission's.
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, 'groups.request')`, w.guest); err != nil {
		t.Fatal(err)
	}
	w.inst = w.instance(t, "discord", "Discord", w.guild.ID, services.Input{MapByName: true, NameFormat: nameFormat,
		Unmanaged: []string{"Friends"}})
	return w
}

// instance makes an enabled Discord instance on guild with in's mapping,
// open to Guests.
func (w *world) instance(t *testing.T, slug, name, guild string, in services.Input) services.Instance {
	t.Helper()
	ctx := context.Background()
	inst, err := w.svc.Create(ctx, services.Input{Slug: slug, Type: "discord", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	in.Name, in.Enabled = name, true
	in.Settings = map[string]string{discord.SettingGuildID: guild, discord.SettingClientID: appID,
		discord.SettingClientSecret: appSecret, discord.SettingBotToken: botToken, discord.SettingAPIURL: w.api.URL}
	if inst, err = w.svc.Update(ctx, inst.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, $2)`, w.guest, inst.Permission()); err != nil {
		t.Fatal(err)
	}
	return inst
}

// change changes an instance as its admin does: the form holds everything
// again, secrets left empty are kept.
func (w *world) change(t *testing.T, inst services.Instance, edit func(in *services.Input)) services.Instance {
	t.Helper()
	in := services.Input{Name: inst.Name, Enabled: inst.Enabled, Settings: map[string]string{}, NameFormat: inst.NameFormat,
		StateFormats: inst.StateFormats, MapByName: inst.MapByName, Maps: inst.Maps, StateAsGroup: inst.StateAsGroup,
		Unmanaged: inst.Unmanaged}
	for k, v := range inst.Settings {
		if k != discord.SettingBotToken && k != discord.SettingClientSecret {
			in.Settings[k] = v
		}
	}
	edit(&in)
	inst, err := w.svc.Update(context.Background(), inst.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// member is a player logged in to the site with a Discord account of
// their own.
type member struct {
	b       *sitetest.Browser
	char    int32
	name    string // the main's name
	corp    int32  // the main's corporation
	account int64
	discord discordsim.User
}

// member logs a player of an account no other member of the test has in.
func (w *world) member(t *testing.T) *member {
	t.Helper()
	ctx := context.Background()
	char := w.site.AccountCharacters(t, 1, w.taken...)[0]
	w.taken = append(w.taken, char)
	m := &member{b: w.site.NewBrowser(t), char: char}
	m.b.LogIn(t, char)
	c, err := w.site.Accounts().Character(ctx, char)
	if err != nil {
		t.Fatal(err)
	}
	m.account, m.name, m.corp = c.AccountID, c.Name, c.CorporationID
	m.discord = w.sim.AddUser(fmt.Sprintf("pilot%d", char))
	return m
}

// superuser logs a superuser in.
func (w *world) superuser(t *testing.T) *member {
	t.Helper()
	m := w.member(t)
	if _, _, err := w.site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(m.char))); err != nil {
		t.Fatal(err)
	}
	return m
}

// nick is the nickname the default instance gives a member whose main is
// in corporation corp.
func (w *world) nick(t *testing.T, m *member, corp int32) string {
	t.Helper()
	c, err := w.site.Sim.Universe.Corporation(corp)
	if err != nil {
		t.Fatal(err)
	}
	return discord.Sanitize("[" + c.Ticker + "] " + m.name)
}

// hidden and choice read the simulated Discord's authorize page as a
// browser shows it: the form's hidden fields and a button per user.
var (
	hidden = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	choice = regexp.MustCompile(`<button type="submit" name="user_id" value="([0-9]+)">([^<]*)</button>`)
)

// authorizePage starts a link on the Services page and follows it to
// Discord's consent page, which it reads: the form to post, and the users
// it offers.
func (w *world) authorizePage(t *testing.T, m *member, slug string) (url.Values, map[string]string) {
	t.Helper()
	p := m.b.Get(t, "/services/"+slug+"/link")
	if p.Status != http.StatusOK || !strings.HasPrefix(p.URL, w.api.URL+"/oauth2/authorize?") {
		t.Fatalf("link of %s ended at %s with %d:\n%s", slug, p.URL, p.Status, p.Body)
	}
	form := url.Values{}
	for _, f := range hidden.FindAllStringSubmatch(p.Body, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	users := map[string]string{}
	for _, c := range choice.FindAllStringSubmatch(p.Body, -1) {
		users[c[1]] = html.UnescapeString(c[2])
	}
	return form, users
}

// consent posts the consent page's form choosing the member's Discord
// user, as their browser does, and follows Discord's answer back to the
// site.
func (w *world) consent(t *testing.T, m *member, form url.Values) sitetest.Page {
	t.Helper()
	form.Set("user_id", m.discord.ID)
	return m.b.Post(t, w.api.URL+"/oauth2/authorize", form)
}

// link links the member's Discord account on the instance slug through
// the pages, and checks they came back to the Services page linked.
func (w *world) link(t *testing.T, m *member, slug string) {
	t.Helper()
	form, users := w.authorizePage(t, m, slug)
	if users[m.discord.ID] != m.discord.Username {
		t.Fatalf("Discord's page does not offer %s: %v", m.discord.Username, users)
	}
	p := w.consent(t, m, form)
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/services") || !strings.Contains(p.Body, "Linked as "+m.discord.Username) {
		t.Fatalf("the link of %s ended at %s with %d:\n%s", slug, p.URL, p.Status, p.Body)
	}
}

// settle waits until no sync or verification is waiting or running.
func (w *world) settle(t *testing.T) {
	t.Helper()
	w.site.SettleServices(t)
}

// on reads a user's membership of a guild as Discord's app shows it: in
// it or not, the nickname and the names of the roles, sorted.
func (w *world) on(guild, user string) (in bool, nick string, roles []string) {
	m, ok := w.sim.Member(guild, user)
	if !ok {
		return false, "", nil
	}
	names := map[string]string{}
	for _, r := range w.sim.Roles(guild) {
		names[r.ID] = r.Name
	}
	roles = []string{}
	for _, id := range m.Roles {
		roles = append(roles, names[id])
	}
	slices.Sort(roles)
	return true, m.Nick, roles
}

// rolesOn gives a member's roles on a guild, failing if they are not in it.
func (w *world) rolesOn(t *testing.T, guild string, m *member) []string {
	t.Helper()
	in, _, roles := w.on(guild, m.discord.ID)
	if !in {
		t.Fatalf("%s is not in guild %s", m.discord.Username, guild)
	}
	return roles
}

// role finds a guild's role by name.
func (w *world) role(t *testing.T, guild, name string) discordsim.Role {
	t.Helper()
	for _, r := range w.sim.Roles(guild) {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no role %q on guild %s", name, guild)
	return discordsim.Role{}
}

// count counts a guild's roles of one name.
func (w *world) count(guild, name string) int {
	n := 0
	for _, r := range w.sim.Roles(guild) {
		if r.Name == name {
			n++
		}
	}
	return n
}

// account reads a member's service account on an instance.
func (w *world) account(t *testing.T, inst services.Instance, m *member) (services.Account, bool) {
	t.Helper()
	a, err := w.svc.AccountOf(context.Background(), inst.ID, m.account)
	if err == services.ErrNoAccount {
		return a, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, true
}

// audit gives an instance's log, newest first.
func (w *world) audit(t *testing.T, inst services.Instance) []services.Entry {
	t.Helper()
	es, err := w.svc.Audit(context.Background(), services.AuditFilter{InstanceID: inst.ID})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// logged finds the newest line of an instance's log about an account with
// action.
func (w *world) logged(t *testing.T, inst services.Instance, m *member, action string) (services.Entry, bool) {
	t.Helper()
	for _, e := range w.audit(t, inst) {
		if e.AccountID == m.account && e.Action == action {
			return e, true
		}
	}
	return services.Entry{}, false
}

// syncJobs reads the rows of every sync job River kept.
func (w *world) syncJobs(t *testing.T) []*rivertype.JobRow {
	t.Helper()
	ctx := context.Background()
	rows, err := w.site.DB.Query(ctx, `SELECT id FROM river_job WHERE kind = 'services_sync' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var out []*rivertype.JobRow
	for _, id := range ids {
		j, err := w.site.Queue().Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

// traffic records the requests of Discord's API that reach the simulated
// Discord: when each arrived, its route, the status it got.
type traffic struct {
	mu   sync.Mutex
	list []request
}

type request struct {
	at     time.Time
	route  string // method and path, ids as {id}
	status int
	scope  string // a 429's X-RateLimit-Scope
}

var ids = regexp.MustCompile(`[0-9]{6,}`)

func (tr *traffic) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			h.ServeHTTP(rw, r)
			return
		}
		at := time.Now()
		sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.list = append(tr.list, request{at: at, route: r.Method + " " + ids.ReplaceAllString(r.URL.Path, "{id}"),
			status: sw.status, scope: rw.Header().Get("X-RateLimit-Scope")})
	})
}

// since gives the requests recorded from the nth on.
func (tr *traffic) since(n int) []request {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.list[min(n, len(tr.list)):])
}

func (tr *traffic) len() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.list)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
