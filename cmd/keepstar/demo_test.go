package main

import (
	"bufio"
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/store"
)

// runningDemo is a `keepstar demo` run in-process.
type runningDemo struct {
	url, simURL string
	// guildPage is the simulated Discord's page of the demo's guild.
	guildPage string
	// said is what the demo printed once it was ready.
	said string
	stop func() int
}

// startDemo runs `keepstar demo` with args until the test stops it.
func startDemo(t *testing.T, args ...string) *runningDemo {
	t.Helper()
	pr, pw := io.Pipe()
	c := &cli{stdout: pw, stderr: io.Discard, env: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- c.main(ctx, append([]string{"demo"}, args...))
		pw.Close()
	}()
	ready := make(chan *runningDemo, 1)
	go func() {
		d := &runningDemo{}
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.said += line + "\n"
			if u, ok := strings.CutPrefix(line, "Keepstar demo is running at "); ok {
				d.url = u
			}
			if rest, ok := strings.CutPrefix(line, "Simulated EVE (SSO, ESI, /control): "); ok {
				d.simURL = strings.Split(rest, ",")[0]
			}
			if u, ok := strings.CutPrefix(line, "Simulated Discord (API v10, OAuth2), its guild's page: "); ok {
				d.guildPage = u
			}
			if strings.HasPrefix(line, "Press Ctrl-C") {
				ready <- d
				break
			}
		}
		// The test reads d from now on: what the demo prints later is
		// drained without touching it, so the demo never blocks on output.
		for sc.Scan() {
		}
	}()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	select {
	case d := <-ready:
		d.stop = stop
		return d
	case code := <-done:
		t.Fatalf("demo exited with %d before serving", code)
	case <-time.After(60 * time.Second):
		t.Fatal("demo not running in time")
	}
	return nil
}

// client is a browser logging in at the demo's simulator as the character
// the query names (the simulator's shortcut for the player's choice).
func (d *runningDemo) client(t *testing.T, who url.Values) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), d.simURL+"/v2/oauth/authorize") && req.URL.Query().Get("character_id") == "" &&
			req.URL.Query().Get("character_name") == "" {
			q := req.URL.Query()
			for k, v := range who {
				q[k] = v
			}
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
}

func get(t *testing.T, client *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

// The demo serves its home page on a fresh SQLite file with nothing
// configured, and stops cleanly.
func TestDemoServesHomePage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	d := startDemo(t, "-dir", dir, "-listen", "127.0.0.1:0")
	res, body := get(t, http.DefaultClient, d.url+"/")
	if res.StatusCode != 200 || !strings.Contains(body, "Keepstar demo") {
		t.Fatalf("home: %d %s", res.StatusCode, body)
	}
	// The simulated EVE runs beside the site.
	res, meta := get(t, http.DefaultClient, d.simURL+"/.well-known/oauth-authorization-server")
	if res.StatusCode != 200 || !strings.Contains(meta, d.simURL+"/v2/oauth/token") {
		t.Errorf("simulator metadata: %d %s", res.StatusCode, meta)
	}
	// So does the simulated Discord, whose guild has the bot's role at the
	// top, a role of its own below it and no members yet.
	res, guild := get(t, http.DefaultClient, d.guildPage)
	if res.StatusCode != 200 || !strings.Contains(guild, "<h1>Keepstar demo</h1>") ||
		!strings.Contains(guild, `<th scope="row">Keepstar <strong>(the bot's highest role)</strong></th>`) ||
		!strings.Contains(guild, `<th scope="row">Friends</th>`) || !strings.Contains(guild, "No members yet.") {
		t.Errorf("simulated Discord guild page %s: %d %s", d.guildPage, res.StatusCode, guild)
	}
	// A visitor logs in with a simulated character and looks around: the
	// first account is superuser, so the administration is there too.
	res, body = get(t, d.client(t, url.Values{"character_id": {"90000001"}}), d.url+"/sso/login")
	if res.StatusCode != 200 || !strings.HasSuffix(res.Request.URL.Path, "/dashboard") || !strings.Contains(body, `href="/admin/accounts"`) {
		t.Fatalf("demo login ended at %s with %d:\n%s", res.Request.URL, res.StatusCode, body)
	}
	if code := d.stop(); code != 0 {
		t.Fatalf("demo exit code %d", code)
	}
	for _, f := range []string{"keepstar.db", "secret.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("-dir must keep %s: %v", f, err)
		}
	}
}

// The demo shows the rules working: the universe's first alliance is the
// Member state, and a character of it logging in gets Member and the
// groups mapped to its corporation; the guide on the first pages names
// who to log in with. Seeding again on a kept folder changes nothing.
func TestDemoSeedsRulesAndGuides(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	d := startDemo(t, "-dir", dir, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0", "-characters", "600")
	m := regexp.MustCompile(`A character of (.+) \(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if m == nil {
		t.Fatalf("the demo does not say who to log in with:\n%s", d.said)
	}
	alliance, character := m[1], m[2]
	_, home := get(t, http.DefaultClient, d.url+"/")
	if !strings.Contains(home, "Log in with a character of "+alliance+", such as "+character) {
		t.Errorf("the home page has no guide:\n%s", home)
	}
	browser := d.client(t, url.Values{"character_name": {character}})
	res, dash := get(t, browser, d.url+"/sso/login")
	if !strings.HasSuffix(res.Request.URL.Path, "/dashboard") || !strings.Contains(dash, `id="state">Member<`) {
		t.Fatalf("a character of %s did not get Member (ended at %s):\n%s", alliance, res.Request.URL, dash)
	}
	if !strings.Contains(dash, "the Member state takes the alliance "+alliance) || !strings.Contains(dash, `alert-dismissible`) {
		t.Errorf("the dashboard has no guide:\n%s", dash)
	}
	_, groupsPage := get(t, browser, d.url+"/groups")
	for _, g := range []string{demo.GroupOpen, demo.GroupRequest, demo.GroupRestricted} {
		if !strings.Contains(groupsPage, g) {
			t.Errorf("the groups page lacks %s", g)
		}
	}
	if !strings.Contains(groupsPage, "Demo groups: "+demo.GroupOpen+" is open") {
		t.Errorf("the groups page has no guide:\n%s", groupsPage)
	}
	_, statesPage := get(t, browser, d.url+"/admin/states")
	if !strings.Contains(statesPage, "the alliance "+alliance+" is mapped to the Member state") {
		t.Errorf("the states page has no guide:\n%s", statesPage)
	}
	counts := func() (states, members, groups int) {
		t.Helper()
		db, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, Path: filepath.Join(dir, "keepstar.db")}, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, c := range []struct {
			n     *int
			query string
		}{{&states, `SELECT count(*) FROM states`}, {&members, `SELECT count(*) FROM state_members`}, {&groups, `SELECT count(*) FROM groups`}} {
			if err := db.QueryRow(context.Background(), c.query).Scan(c.n); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if code := d.stop(); code != 0 {
		t.Fatalf("demo exit code %d", code)
	}
	s1, m1, g1 := counts()
	if g1 != 4 || m1 < 2 {
		t.Errorf("seeded %d groups and %d state members, want 4 groups and Member and Blue", g1, m1)
	}
	again := startDemo(t, "-dir", dir, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0", "-characters", "600")
	if code := again.stop(); code != 0 {
		t.Fatalf("second run exit code %d", code)
	}
	if s2, m2, g2 := counts(); s2 != s1 || m2 != m1 || g2 != g1 {
		t.Errorf("a second run on the kept folder changed the seed: %d %d %d, then %d %d %d", s1, m1, g1, s2, m2, g2)
	}
}

// The demo's simulated Discord registers Keepstar's Discord callback,
// offers the six users on its authorize page, lets the bot list members
// (the intent is on) and makes new credentials on every run.
func TestDemoDiscord(t *testing.T) {
	sim, dc, err := newDemoDiscord("http://127.0.0.1:8080/", "http://127.0.0.1:8082")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{17,19}$`).MatchString(dc.ClientID) || len(dc.ClientSecret) < 32 ||
		dc.BotToken == "" || dc.GuildID == "" || dc.URL != "http://127.0.0.1:8082" {
		t.Fatalf("discord %+v", dc)
	}
	q := url.Values{"client_id": {dc.ClientID}, "response_type": {"code"}, "scope": {"identify guilds.join"},
		"redirect_uri": {"http://127.0.0.1:8080/services/discord/callback"}, "state": {"s"}}
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest("GET", "/oauth2/authorize?"+q.Encode(), nil))
	for _, u := range demoDiscordUsers {
		if !strings.Contains(rec.Body.String(), ">"+u[0]+"<") {
			t.Errorf("the authorize page (%d) lacks %s:\n%s", rec.Code, u[0], rec.Body)
		}
	}
	req := httptest.NewRequest("GET", "/api/v10/guilds/"+dc.GuildID+"/members?limit=10", nil)
	req.Header.Set("Authorization", "Bot "+dc.BotToken)
	rec = httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("members list: %d %s", rec.Code, rec.Body)
	}
	roles := sim.Roles(dc.GuildID)
	if len(roles) != 3 || roles[2].Name != "Keepstar" || roles[2].Permissions != discordsim.PermConnector ||
		roles[1].Name != "Friends" || roles[1].Managed {
		t.Errorf("roles %+v", roles)
	}
	// The ping channel takes the bot's messages.
	req = httptest.NewRequest("POST", "/api/v10/channels/"+dc.PingChannelID+"/messages", strings.NewReader(`{"content":"ping"}`))
	req.Header.Set("Authorization", "Bot "+dc.BotToken)
	rec = httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != 200 || len(sim.Messages(dc.PingChannelID)) != 1 {
		t.Errorf("ping channel %q: %d %s", dc.PingChannelID, rec.Code, rec.Body)
	}
	_, again, err := newDemoDiscord("http://127.0.0.1:8080", "http://127.0.0.1:8082")
	if err != nil {
		t.Fatal(err)
	}
	if again.ClientID == dc.ClientID || again.ClientSecret == dc.ClientSecret || again.BotToken == dc.BotToken {
		t.Error("a second run reuses the first one's credentials")
	}
}

// A demo visitor joins the simulated TeamSpeak as the Services page's hint
// says: activate, paste the key on the simulated server's page (which
// stands in for a TeamSpeak client), check again, and see their groups
// there: the member mark and the Member state's group.
func TestDemoTeamSpeak(t *testing.T) {
	d := startDemo(t, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0",
		"-teamspeak-listen", "127.0.0.1:0", "-characters", "600")
	page := regexp.MustCompile(`Simulated TeamSpeak 3 \(ServerQuery over SSH on [^)]+\), its page to join with a key: (\S+)`).FindStringSubmatch(d.said)
	who := regexp.MustCompile(`\(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if page == nil || who == nil {
		t.Fatalf("the demo does not say where TeamSpeak is, or who to log in with:\n%s", d.said)
	}
	browser := d.client(t, url.Values{"character_name": {who[1]}})
	get(t, browser, d.url+"/sso/login")
	_, services := get(t, browser, d.url+"/services")
	if !strings.Contains(services, page[1]) {
		t.Errorf("the Services page has no hint naming %s:\n%s", page[1], services)
	}
	res, err := browser.PostForm(d.url+"/services/teamspeak/activate", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	link := regexp.MustCompile(`href="(ts3server://[^"]+)" data-action="join"`).FindStringSubmatch(string(body))
	if link == nil {
		t.Fatalf("no join link after activating (%d):\n%s", res.StatusCode, body)
	}
	u, err := url.Parse(html.UnescapeString(link[1]))
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.PostForm(page[1]+"/redeem", url.Values{"token": {u.Query().Get("token")}, "nickname": {u.Query().Get("nickname")}})
	if err != nil {
		t.Fatal(err)
	}
	joined, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(joined), "Joined") {
		t.Fatalf("redeeming on the simulated server: %d\n%s", res.StatusCode, joined)
	}
	if res, err = browser.PostForm(d.url+"/services/teamspeak/refresh", url.Values{}); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, ts := get(t, http.DefaultClient, page[1])
		// The member mark and the state's group, beside the groups mapped
		// by name (the corporation's).
		if regexp.MustCompile(`<td>[^<]*\b` + demo.TeamSpeakMemberGroup + `, Member\b[^<]*</td>`).MatchString(ts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member's groups never reached TeamSpeak:\n%s", ts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The demo's forum: a member logs in on the simulated Discourse through
// Keepstar and ends there logged in, with the Member state's group.
func TestDemoDiscourse(t *testing.T) {
	d := startDemo(t, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0",
		"-teamspeak-listen", "127.0.0.1:0", "-discourse-listen", "127.0.0.1:0", "-characters", "600")
	forum := regexp.MustCompile(`Simulated Discourse forum, logging in with Keepstar: (\S+)`).FindStringSubmatch(d.said)
	who := regexp.MustCompile(`\(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if forum == nil || who == nil {
		t.Fatalf("the demo does not say where the forum is, or who to log in with:\n%s", d.said)
	}
	browser := d.client(t, url.Values{"character_name": {who[1]}})
	get(t, browser, d.url+"/sso/login")
	_, services := get(t, browser, d.url+"/services")
	if !strings.Contains(services, forum[1]+"/session/sso") {
		t.Errorf("the Services page has no link to log in on %s:\n%s", forum[1], services)
	}
	res, page := get(t, browser, forum[1]+"/session/sso")
	if res.StatusCode != http.StatusOK || !regexp.MustCompile(`Logged in as <strong>[^<]+</strong> \([^)]*\), groups [^.]*\bMember\b`).MatchString(page) {
		t.Fatalf("logging in on the forum ended at %s with %d:\n%s", res.Request.URL, res.StatusCode, page)
	}
}

// The demo's XenForo: a member activates it and logs in on the simulated
// forum's page with the password shown once.
func TestDemoXenForo(t *testing.T) {
	d := startDemo(t, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0",
		"-teamspeak-listen", "127.0.0.1:0", "-discourse-listen", "127.0.0.1:0", "-xenforo-listen", "127.0.0.1:0", "-characters", "600")
	forum := regexp.MustCompile(`Simulated XenForo forum \(XenAPI\), its page to log in: (\S+)`).FindStringSubmatch(d.said)
	who := regexp.MustCompile(`\(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if forum == nil || who == nil {
		t.Fatalf("the demo does not say where XenForo is, or who to log in with:\n%s", d.said)
	}
	browser := d.client(t, url.Values{"character_name": {who[1]}})
	get(t, browser, d.url+"/sso/login")
	res, err := browser.PostForm(d.url+"/services/"+demo.XenForoSlug+"/activate", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	user := regexp.MustCompile(`<code id="credentials-username">([^<]*)</code>`).FindStringSubmatch(string(body))
	pass := regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`).FindStringSubmatch(string(body))
	if user == nil || pass == nil {
		t.Fatalf("no credentials after activating (%d):\n%s", res.StatusCode, body)
	}
	res, err = http.PostForm(forum[1]+"/login", url.Values{"username": {html.UnescapeString(user[1])}, "password": {html.UnescapeString(pass[1])}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "Logged in as") || !regexp.MustCompile(`<td>[^<]*\b`+demo.XenForoMemberGroup+`\b[^<]*\bMember\b[^<]*</td>`).Match(page) {
		t.Fatalf("logging in on the simulated XenForo:\n%s", page)
	}
}

// A demo visitor tries XMPP as the Services page's hint says: activate,
// and log in with the credentials shown on the simulated Openfire's page,
// which shows the Member state's group.
func TestDemoXMPP(t *testing.T) {
	d := startDemo(t, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0",
		"-teamspeak-listen", "127.0.0.1:0", "-openfire-listen", "127.0.0.1:0", "-characters", "600")
	who := regexp.MustCompile(`\(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if who == nil {
		t.Fatalf("the demo does not say who to log in with:\n%s", d.said)
	}
	browser := d.client(t, url.Values{"character_name": {who[1]}})
	get(t, browser, d.url+"/sso/login")
	_, services := get(t, browser, d.url+"/services")
	page := regexp.MustCompile(`(http://127\.0\.0\.1:\d+), which also shows your groups`).FindStringSubmatch(services)
	if page == nil {
		t.Fatalf("the Services page has no hint for the simulated Openfire:\n%s", services)
	}
	res, err := browser.PostForm(d.url+"/services/"+demo.OpenfireSlug+"/activate", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	u := regexp.MustCompile(`<code id="credentials-username">([^<@]*)@`).FindStringSubmatch(string(body))
	pw := regexp.MustCompile(`<code id="credentials-password">([^<]*)</code>`).FindStringSubmatch(string(body))
	if u == nil || pw == nil {
		t.Fatalf("no credentials after activating (%d):\n%s", res.StatusCode, body)
	}
	res, err = http.PostForm(page[1]+"/login", url.Values{"username": {html.UnescapeString(u[1])}, "password": {html.UnescapeString(pw[1])}})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(in), "Logged in") {
		t.Errorf("login on the simulated Openfire:\n%s", in)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !regexp.MustCompile(`<td>[^<]*\bmember\b[^<]*</td>`).Match(in) {
		if time.Now().After(deadline) {
			t.Fatalf("the member's groups never reached Openfire:\n%s", in)
		}
		time.Sleep(100 * time.Millisecond)
		_, now := get(t, http.DefaultClient, page[1])
		in = []byte(now)
	}
}

// The demo shows issue 18's apps working with nothing done first: the
// visitor (the guide's character, a member of the tracked corporation, so
// of its tracking group) sees the corporation's members on the tracking
// page, filled by the first pass at the start, and the filter "inactive
// for 30 days" keeps some of them but not all; the watchlist's warning
// list shows the seeded accounts; and a test mail sent from the EVE mail
// page reaches the simulator's mail list. Each page has its hint. The
// universe is the demo's own size (1,000 characters): the seed's choices
// depend on it.
func TestDemoTrackingWatchlistsMail(t *testing.T) {
	d := startDemo(t, "-listen", "127.0.0.1:0", "-evesim-listen", "127.0.0.1:0", "-discord-listen", "127.0.0.1:0",
		"-teamspeak-listen", "127.0.0.1:0", "-discourse-listen", "127.0.0.1:0", "-xenforo-listen", "127.0.0.1:0",
		"-openfire-listen", "127.0.0.1:0", "-murmurd", "none")
	who := regexp.MustCompile(`\(such as (.+)\) gets the Member state`).FindStringSubmatch(d.said)
	if who == nil {
		t.Fatalf("the demo does not say who to log in with:\n%s", d.said)
	}
	browser := d.client(t, url.Values{"character_name": {who[1]}})
	if res, _ := get(t, browser, d.url+"/sso/login"); !strings.HasSuffix(res.Request.URL.Path, "/dashboard") {
		t.Fatalf("login ended at %s", res.Request.URL)
	}

	// Member tracking: the corporation listed, its members stored by the
	// first pass.
	res, list := get(t, browser, d.url+"/tracking")
	if res.StatusCode != http.StatusOK || !strings.Contains(list, "Demo: member tracking reads ") {
		t.Fatalf("tracking page %d without its hint:\n%s", res.StatusCode, list)
	}
	corp := regexp.MustCompile(`data-corporation="([0-9]+)"`).FindStringSubmatch(list)
	if corp == nil {
		t.Fatalf("the tracking page lists no corporation:\n%s", list)
	}
	rows := func(query string) int {
		t.Helper()
		res, page := get(t, browser, d.url+"/tracking/"+corp[1]+query)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("tracking/%s%s: %d", corp[1], query, res.StatusCode)
		}
		return strings.Count(page, `data-character="`)
	}
	deadline := time.Now().Add(30 * time.Second)
	all := rows("")
	for all == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the tracked corporation's members never showed")
		}
		time.Sleep(200 * time.Millisecond)
		all = rows("")
	}
	if inactive := rows("?inactive=30"); inactive == 0 || inactive >= all {
		t.Errorf("inactive for 30 days: %d of %d members, want some but not all", inactive, all)
	}

	// The watchlist: the seeded accounts on its warning list.
	res, lists := get(t, browser, d.url+"/watchlists")
	if res.StatusCode != http.StatusOK || !strings.Contains(lists, "Demo: the watchlist "+demo.WatchlistName+" watches ") {
		t.Fatalf("watchlists page %d without its hint:\n%s", res.StatusCode, lists)
	}
	link := regexp.MustCompile(`href="(/watchlists/[0-9]+)"[^>]*>(?:<bdi>)?` + demo.WatchlistName).FindStringSubmatch(lists)
	if link == nil {
		t.Fatalf("no link to the watchlist %s:\n%s", demo.WatchlistName, lists)
	}
	_, view := get(t, browser, d.url+link[1])
	warnings := regexp.MustCompile(`(?s)<section class="mb-4" id="warnings">(.*?)</section>`).FindStringSubmatch(view)
	if warnings == nil || !strings.Contains(warnings[1], `data-account="`) {
		t.Errorf("the warning list is empty:\n%s", view)
	}

	// EVE mail: a test mail reaches the simulator.
	mails := func() string {
		t.Helper()
		_, body := get(t, http.DefaultClient, d.simURL+"/control/mails")
		return body
	}
	if m := mails(); strings.TrimSpace(m) != "[]" {
		t.Fatalf("mails before the test: %s", m)
	}
	res, page := get(t, browser, d.url+"/admin/evemail")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "with a core.mail token seeded at the start") ||
		!strings.Contains(page, d.simURL+"/control/mails") {
		t.Fatalf("EVE mail page %d without its hint:\n%s", res.StatusCode, page)
	}
	res, err := browser.PostForm(d.url+"/admin/evemail/test", url.Values{"kind": {"invalid_token"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sending a test mail: %d", res.StatusCode)
	}
	deadline = time.Now().Add(30 * time.Second)
	for strings.TrimSpace(mails()) == "[]" {
		if time.Now().After(deadline) {
			t.Fatal("the test mail never reached the simulator")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Fleet activity tracking: the visitor makes a fatlink, gives a token
	// of the login the demo seeded, and is recorded once they play.
	res, err = browser.PostForm(d.url+"/fat/links", url.Values{"fleet": {"Demo fleet"}, "duration": {"30"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	click := regexp.MustCompile(`/fat/click/[A-Za-z0-9_-]+`).FindString(string(body))
	if res.StatusCode != http.StatusOK || click == "" {
		t.Fatalf("making a fatlink: %d, no link:\n%s", res.StatusCode, body)
	}
	_, page = get(t, browser, d.url+click)
	char := regexp.MustCompile(`data-character="([0-9]+)"`).FindStringSubmatch(page)
	if char == nil || !strings.Contains(page, `href="/sso/login/fat"`) {
		t.Fatalf("the fatlink's page offers no character or no link to the login fat:\n%s", page)
	}
	online, err := http.Post(d.simURL+"/control/characters/"+char[1]+"/online", "application/json", strings.NewReader(`{"online":true}`))
	if err != nil {
		t.Fatal(err)
	}
	online.Body.Close()
	if res, _ := get(t, browser, d.url+"/sso/login/fat"); res.StatusCode != http.StatusOK {
		t.Fatalf("giving the fat token: %d at %s", res.StatusCode, res.Request.URL)
	}
	res, err = browser.PostForm(d.url+click, url.Values{"character": {char[1]}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-field="recorded"`) {
		t.Fatalf("recording from the fatlink: %d\n%s", res.StatusCode, body)
	}
	if res, page := get(t, browser, d.url+"/timers"); res.StatusCode != http.StatusOK || !strings.Contains(page, `href="/timers/add"`) {
		t.Errorf("the timers page: %d", res.StatusCode)
	}
}
