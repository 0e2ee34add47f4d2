package groups_test

import (
	"context"
	"html"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// noQueue takes the full recomputations a change of a group's rules
// queues, and runs none: tests recompute themselves (env.group).
type noQueue struct {
	mu   sync.Mutex
	jobs []river.JobArgs
}

func (q *noQueue) InsertTx(_ context.Context, _ *store.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args)
	return &rivertype.JobInsertResult{}, nil
}

// env is a running site with stores of the test's own over its database,
// to set up groups, permissions and settings without the admin pages.
type env struct {
	t        *testing.T
	ctx      context.Context
	site     *sitetest.Site
	settings *settings.Store
	rec      *access.Recomputer
	groups   *groups.Store
	used     []int32
}

// eachDialect runs a scenario on a site of each engine, in parallel.
func eachDialect(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, start(t, d))
		})
	}
}

func start(t *testing.T, d config.Dialect) *env {
	site := sitetest.Start(t, sitetest.Options{Dialect: d})
	st := settings.NewStore(site.DB, settings.NewRegistry(groups.Settings, access.Settings), nil, 0)
	rec := access.NewRecomputer(site.DB, st, nil)
	return &env{t: t, ctx: context.Background(), site: site, settings: st, rec: rec,
		groups: groups.New(site.DB, groups.Options{Recomputer: rec, Queue: &noQueue{},
			Catalogue: access.NewCatalogue(access.Permissions), Settings: st})}
}

// user is a logged-in member.
type user struct {
	b         *sitetest.Browser
	character int32
	account   int64
	name      string // the main's, the account's name
	corp      int32
}

// login logs in a new member: the main character of a simulated player
// not used yet.
func (e *env) login(perms ...string) user {
	t := e.t
	t.Helper()
	c := e.site.AccountCharacters(t, 1, e.used...)[0]
	e.used = append(e.used, c)
	u := user{b: e.site.NewBrowser(t), character: c}
	u.b.LogIn(t, c)
	ch, err := e.site.Accounts().Character(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	u.account, u.name, u.corp = ch.AccountID, ch.Name, ch.CorporationID
	if len(perms) > 0 {
		if err := access.SetAccountPermissions(e.ctx, e.site.DB, u.account, perms, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.recompute(u.account)
	}
	return u
}

// member logs in a member who may request groups.
func (e *env) member() user { return e.login(access.RequestPermission) }

func (e *env) recompute(ids ...int64) {
	e.t.Helper()
	if _, err := e.rec.Accounts(e.ctx, ids); err != nil {
		e.t.Fatal(err)
	}
}

// group creates a group and computes every account's groups again, as
// the queued job would.
func (e *env) group(in groups.Input) groups.Group {
	e.t.Helper()
	g, err := e.groups.Create(e.ctx, in)
	if err != nil {
		e.t.Fatalf("create group %q: %v", in.Name, err)
	}
	if _, err := e.rec.All(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// setting changes a setting and restarts the site, which reads settings
// through a cache.
func (e *env) setting(name, value string) {
	e.t.Helper()
	if err := e.settings.Set(e.ctx, map[string]string{name: value}); err != nil {
		e.t.Fatal(err)
	}
	e.site.Restart()
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.site.DB.QueryRow(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) isMember(u user, g groups.Group) bool {
	return e.count(`SELECT count(*) FROM group_members WHERE account_id = $1 AND group_id = $2`, u.account, g.ID) == 1
}

// requestID gives the id of a pending request.
func (e *env) requestID(u user, g groups.Group, kind string) int64 {
	e.t.Helper()
	var id int64
	if err := e.site.DB.QueryRow(e.ctx, `SELECT id FROM group_requests WHERE account_id = $1 AND group_id = $2 AND kind = $3 AND status = 'pending'`,
		u.account, g.ID, kind).Scan(&id); err != nil {
		e.t.Fatalf("no pending %s request of %s for %s: %v", kind, u.name, g.Name, err)
	}
	return id
}

func id(g groups.Group) string { return strconv.FormatInt(g.ID, 10) }

func path(g groups.Group, rest ...string) string {
	return "/groups/" + id(g) + strings.Join(rest, "")
}

// act posts a form and checks where it ended.
func act(t *testing.T, u user, to string, form url.Values, status int, contains ...string) sitetest.Page {
	t.Helper()
	p := u.b.Post(t, to, form)
	if p.Status != status {
		t.Fatalf("POST %s as %s: %d, want %d\n%s", to, u.name, p.Status, status, excerpt(p.Body))
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("POST %s as %s: the page lacks %q\n%s", to, u.name, s, excerpt(p.Body))
		}
	}
	return p
}

// get requests a page and checks its status.
func get(t *testing.T, u user, to string, status int) string {
	t.Helper()
	p := u.b.Get(t, to)
	if p.Status != status {
		t.Fatalf("GET %s as %s: %d, want %d\n%s", to, u.name, p.Status, status, excerpt(p.Body))
	}
	return p.Body
}

// excerpt is the page's main part, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	return body[:min(len(body), 3000)]
}

// item gives the markup of a group on the groups page, "" when it is not
// listed; yours tells whether it is under "Your groups".
func item(body string, g groups.Group) (markup string, yours bool) {
	i := strings.Index(body, `id="group-`+id(g)+`"`)
	if i < 0 {
		return "", false
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], `class="list-group-item"`); j >= 0 {
		rest = rest[:j+1]
	} else if j := strings.Index(rest, "</main>"); j >= 0 {
		rest = rest[:j]
	}
	y, o := strings.Index(body, `id="your-groups"`), strings.Index(body, `id="other-groups"`)
	return rest, y >= 0 && y < i && (o < 0 || i < o)
}

// rows gives the table rows (<tr ...>...</tr>) holding all of attrs.
func rows(body string, attrs ...string) []string {
	var out []string
	for _, r := range strings.Split(body, "<tr ")[1:] {
		if j := strings.Index(r, "</tr>"); j >= 0 {
			r = r[:j]
		}
		ok := true
		for _, a := range attrs {
			ok = ok && strings.Contains(r, a)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

func esc(s string) string { return html.EscapeString(s) }

// form builds a form of key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
