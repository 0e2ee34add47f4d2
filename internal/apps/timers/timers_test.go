package timers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apognu/gocal"

	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// world is a site with an officer (every timer permission), a member of
// the officer's corporation and one of another corporation (both may
// view), a member without any timer permission, and a superuser.
type world struct {
	site                             *sitetest.Site
	officer, mate, other, nobody, su *sitetest.Member
}

// otherCorp is a corporation no simulated member of the site is in.
const otherCorp = 98999999

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{site: sitetest.Start(t, sitetest.Options{Dialect: d})}
	acc := w.site.Accounts()
	all := []string{timers.PermissionView.Name, timers.PermissionAdd.Name, timers.PermissionChange.Name, timers.PermissionDelete.Name}
	w.officer, w.mate, w.other, w.nobody, w.su = w.site.NewMember(t), w.site.NewMember(t), w.site.NewMember(t), w.site.NewMember(t), w.site.NewMember(t)
	for m, perms := range map[*sitetest.Member][]string{w.officer: all, w.mate: {timers.PermissionView.Name},
		w.other: {timers.PermissionView.Name}} {
		if err := acc.SetPermissions(ctx, m.AccountID, perms); err != nil {
			t.Fatal(err)
		}
	}
	if err := acc.SetRoles(ctx, w.su.AccountID, nil, true); err != nil {
		t.Fatal(err)
	}
	// The corporations as Keepstar knows them: the mate in the officer's,
	// the other (and the superuser) elsewhere.
	w.setCorporation(t, w.mate, w.officer.Corporation)
	w.setCorporation(t, w.other, otherCorp)
	w.setCorporation(t, w.su, otherCorp)
	return w
}

func (w *world) setCorporation(t *testing.T, m *sitetest.Member, corp int32) {
	t.Helper()
	if _, err := w.site.DB.Exec(context.Background(), `UPDATE characters SET corporation_id = $1 WHERE account_id = $2`, corp, m.AccountID); err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, m *sitetest.Member, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	for i := range texts {
		texts[i] = html.EscapeString(texts[i])
	}
	return m.Browser.Expect(t, m.Name, path, form, status, texts...)
}

func timerForm(system, structure string, mods ...func(url.Values)) url.Values {
	f := url.Values{"system": {system}, "planet_moon": {"V - Moon 1"}, "structure": {structure}, "timer_type": {"armor"},
		"objective": {"hostile"}, "owner": {"Goonswarm"}, "details": {"bring dreads"}, "hours": {"2"}}
	for _, m := range mods {
		m(f)
	}
	return f
}

// timerIDs gives the ids of the timers a page lists, in order.
func timerIDs(body string) []int64 {
	var out []int64
	for _, m := range regexp.MustCompile(`data-timer="(\d+)"`).FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

func (w *world) newest(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := w.site.DB.QueryRow(context.Background(), `SELECT max(id) FROM timers`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTimers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		t.Run("pages", func(t *testing.T) { testPages(t, w) })
		t.Run("calendar", func(t *testing.T) { testCalendar(t, w) })
		t.Run("reminders", func(t *testing.T) { testReminders(t, w) })
	})
}

func testPages(t *testing.T, w *world) {
	// Refused without a timer permission, every route.
	expect(t, w.nobody, "/timers", nil, http.StatusForbidden)
	expect(t, w.nobody, "/timers/add", nil, http.StatusForbidden)
	expect(t, w.mate, "/timers/add", nil, http.StatusForbidden)
	expect(t, w.mate, "/timers/add", timerForm("1DQ1-A", "keepstar"), http.StatusForbidden)

	before := time.Now().UTC()
	expect(t, w.officer, "/timers/add", nil, http.StatusOK, "Add a structure timer")
	expect(t, w.officer, "/timers/add", timerForm("1DQ1-A", "keepstar"), http.StatusOK, "Timer added.", "1DQ1-A", "Goonswarm")
	public := w.newest(t)
	at := time.Now().UTC().Add(26 * time.Hour).Truncate(time.Minute)
	expect(t, w.officer, "/timers/add", timerForm("T5ZI-S", "fortizar", func(f url.Values) {
		f.Del("hours")
		f.Set("eve_time", at.Format("2006-01-02T15:04"))
		f.Set("corporation_only", "1")
		f.Set("important", "1")
	}), http.StatusOK, "Timer added.", "T5ZI-S")
	corp := w.newest(t)
	past := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	expect(t, w.officer, "/timers/add", timerForm("M-OEE8", "astrahus", func(f url.Values) {
		f.Del("hours")
		f.Set("eve_time", past.Format("2006-01-02 15:04"))
	}), http.StatusOK, "Timer added.")
	old := w.newest(t)

	// The countdown's data: the exact time, in ISO 8601, for the script.
	body := expect(t, w.officer, "/timers", nil, http.StatusOK, "countdown.js")
	for _, want := range []time.Time{at, past} {
		if !strings.Contains(body, `data-countdown="`+want.Format(time.RFC3339)+`"`) {
			t.Errorf("no countdown for %v", want)
		}
	}
	var stored time.Time
	if err := w.site.DB.QueryRow(context.Background(), `SELECT eve_time FROM timers WHERE id = $1`, public).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if got := stored.UTC().Sub(before); got < 2*time.Hour-time.Second || got > 2*time.Hour+time.Minute {
		t.Errorf("2 hours from now stored as %v, %v after the request", stored, got)
	}
	if !strings.Contains(body, `data-countdown="`+stored.UTC().Format(time.RFC3339)+`"`) {
		t.Errorf("no countdown for the timer 2 hours from now")
	}
	// Upcoming soonest first, then the past.
	if got, want := fmt.Sprint(timerIDs(body)), fmt.Sprint([]int64{public, corp, old}); got != want {
		t.Errorf("officer's timers %s, want %s", got, want)
	}

	// Corporation-only: the officer's corporation and superusers see it.
	for m, want := range map[*sitetest.Member][]int64{w.mate: {public, corp, old}, w.other: {public, old}, w.su: {public, corp, old}} {
		if got := timerIDs(expect(t, m, "/timers", nil, http.StatusOK)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s sees %v, want %v", m.Name, got, want)
		}
	}
	// The superuser may change the corporation's timer; another
	// corporation's officer may not even see it.
	expect(t, w.su, fmt.Sprintf("/timers/%d/edit", corp), nil, http.StatusOK, "T5ZI-S")
	if err := w.site.Accounts().SetPermissions(context.Background(), w.other.AccountID, []string{timers.PermissionView.Name,
		timers.PermissionChange.Name, timers.PermissionDelete.Name}); err != nil {
		t.Fatal(err)
	}
	expect(t, w.other, fmt.Sprintf("/timers/%d/edit", corp), nil, http.StatusNotFound)
	expect(t, w.other, fmt.Sprintf("/timers/%d/edit", corp), timerForm("X", "keepstar"), http.StatusNotFound)
	expect(t, w.other, fmt.Sprintf("/timers/%d/delete", corp), url.Values{"confirm": {"yes"}}, http.StatusNotFound)
	if err := w.site.Accounts().SetPermissions(context.Background(), w.other.AccountID, []string{timers.PermissionView.Name}); err != nil {
		t.Fatal(err)
	}
	// View alone changes nothing.
	expect(t, w.mate, fmt.Sprintf("/timers/%d/edit", public), nil, http.StatusForbidden)
	expect(t, w.mate, fmt.Sprintf("/timers/%d/edit", public), timerForm("X", "keepstar"), http.StatusForbidden)
	expect(t, w.mate, fmt.Sprintf("/timers/%d/delete", public), nil, http.StatusForbidden)
	expect(t, w.mate, fmt.Sprintf("/timers/%d/delete", public), url.Values{"confirm": {"yes"}}, http.StatusForbidden)

	// Bad input: a clear 422, nothing stored.
	count := func() int {
		var n int
		if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM timers`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := count()
	for _, c := range []struct {
		form url.Values
		text string
	}{
		{timerForm("", "keepstar"), "This field is required."},
		{timerForm(strings.Repeat("x", 300), "keepstar"), "300 characters; at most 254 are allowed."},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("details", strings.Repeat("é", 2001)) }), "2001 characters; at most 2000"},
		{timerForm("1DQ1-A", "Death Star"), "Choose a structure type of the list."},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("timer_type", "pink") }), "Choose a timer type of the list."},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("objective", "x") }), "Choose an objective of the list."},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Del("hours"); f.Set("eve_time", "tomorrow") }), "This is not a time"},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Del("hours"); f.Set("eve_time", "2026-02-30 10:00") }), "This is not a time"},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("eve_time", "2030-01-01 10:00") }), "not both"},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("hours", "-1") }), "whole numbers"},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Set("hours", "two") }), "whole numbers"},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Del("hours") }), "Enter when the timer comes out."},
		{timerForm("1DQ1-A", "keepstar", func(f url.Values) { f.Del("hours"); f.Set("eve_time", "2099-01-01 10:00") }), "two years"},
	} {
		expect(t, w.officer, "/timers/add", c.form, http.StatusUnprocessableEntity, c.text)
		expect(t, w.officer, fmt.Sprintf("/timers/%d/edit", public), c.form, http.StatusUnprocessableEntity, c.text)
	}
	if count() != n {
		t.Errorf("a refused timer was stored")
	}
	expect(t, w.officer, "/timers/abc/edit", nil, http.StatusNotFound)
	expect(t, w.officer, "/timers/999999/edit", nil, http.StatusNotFound)

	// Change and delete.
	expect(t, w.officer, fmt.Sprintf("/timers/%d/edit", public), nil, http.StatusOK, "1DQ1-A", "Goonswarm")
	expect(t, w.officer, fmt.Sprintf("/timers/%d/edit", public), timerForm("1DQ1-A", "sotiyo", func(f url.Values) {
		f.Set("owner", "Pandemic Horde")
	}), http.StatusOK, "Timer changed.", "Pandemic Horde", "Sotiyo")
	expect(t, w.officer, fmt.Sprintf("/timers/%d/delete", old), nil, http.StatusOK, "M-OEE8")
	expect(t, w.officer, fmt.Sprintf("/timers/%d/delete", old), url.Values{"confirm": {"yes"}}, http.StatusOK, "Timer deleted.")
	if got := timerIDs(expect(t, w.officer, "/timers", nil, http.StatusOK)); fmt.Sprint(got) != fmt.Sprint([]int64{public, corp}) {
		t.Errorf("after the deletion: %v", got)
	}
}

// feed fetches a calendar link and parses it with gocal.
func feed(t *testing.T, link string) (int, []gocal.Event) {
	t.Helper()
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("feed's type %q", ct)
	}
	start, end := time.Now().AddDate(0, -1, 0), time.Now().AddDate(1, 0, 0)
	p := gocal.NewParser(res.Body)
	p.Start, p.End = &start, &end
	p.Strict = gocal.StrictParams{Mode: gocal.StrictModeFailFeed}
	if err := p.Parse(); err != nil {
		t.Fatalf("gocal: %v", err)
	}
	return res.StatusCode, p.Events
}

var linkPattern = regexp.MustCompile(`id="calendar-link">([^<]+)<`)

// newLink makes m a new calendar link.
func newLink(t *testing.T, m *sitetest.Member) string {
	t.Helper()
	body := expect(t, m, "/calendar/renew", url.Values{}, http.StatusOK, "shown this once")
	found := linkPattern.FindStringSubmatch(body)
	if found == nil {
		t.Fatalf("no link on the page")
	}
	return html.UnescapeString(found[1])
}

func uids(events []gocal.Event) map[string]gocal.Event {
	out := map[string]gocal.Event{}
	for _, e := range events {
		out[e.Uid] = e
	}
	return out
}

func testCalendar(t *testing.T, w *world) {
	ctx := context.Background()
	var public, corp int64
	if err := w.site.DB.QueryRow(ctx, `SELECT id FROM timers WHERE corporation_id IS NULL ORDER BY id LIMIT 1`).Scan(&public); err != nil {
		t.Fatal(err)
	}
	var corpTime time.Time
	if err := w.site.DB.QueryRow(ctx, `SELECT id, eve_time FROM timers WHERE corporation_id IS NOT NULL`).Scan(&corp, &corpTime); err != nil {
		t.Fatal(err)
	}
	pub, cor := "timer-"+strconv.FormatInt(public, 10), "timer-"+strconv.FormatInt(corp, 10)
	expect(t, w.mate, "/calendar", nil, http.StatusOK, "You have no calendar link yet.")
	mate, other, nobody := newLink(t, w.mate), newLink(t, w.other), newLink(t, w.nobody)
	expect(t, w.mate, "/calendar", nil, http.StatusOK, "You have a calendar link, made")

	_, events := feed(t, mate)
	got := uids(events)
	if len(got) != 2 {
		t.Errorf("mate's feed: %v", got)
	}
	e, ok := got[cor]
	if !ok || !e.Start.Equal(corpTime) || !strings.Contains(e.Summary, "Fortizar") || !strings.Contains(e.Location, "T5ZI-S") {
		t.Errorf("the corporation's timer in mate's feed: %+v", e)
	}
	if _, ok := got[pub]; !ok {
		t.Errorf("no public timer in mate's feed")
	}
	_, events = feed(t, other)
	if got := uids(events); len(got) != 1 || got[pub].Uid != pub {
		t.Errorf("other's feed: %v", got)
	}
	if status, events := feed(t, nobody); status != http.StatusOK || len(events) != 0 {
		t.Errorf("nobody's feed: %d %v", status, events)
	}

	// A renewed link kills the old one; an unknown one is 404.
	renewed := newLink(t, w.mate)
	if status, _ := feed(t, mate); status != http.StatusNotFound {
		t.Errorf("the old link after renewal: %d", status)
	}
	if status, events := feed(t, renewed); status != http.StatusOK || len(events) != 2 {
		t.Errorf("the renewed link: %d, %d events", status, len(events))
	}
	if status, _ := feed(t, w.site.URL+"/calendar/feed/not-a-secret.ics"); status != http.StatusNotFound {
		t.Errorf("an unknown link: %d", status)
	}
	var stored string
	if err := w.site.DB.QueryRow(ctx, `SELECT secret_hash FROM calendar_feeds WHERE account_id = $1`, w.mate.AccountID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(renewed, stored) || len(stored) != 64 {
		t.Errorf("the stored secret %q is not a hash of the link's", stored)
	}

	// Rights are read on every fetch: moved to another corporation, the
	// mate's feed loses the corporation's timer; without permission, all.
	w.setCorporation(t, w.mate, otherCorp)
	if _, events := feed(t, renewed); len(events) != 1 {
		t.Errorf("after leaving the corporation: %d events", len(events))
	}
	if err := w.site.Accounts().SetPermissions(ctx, w.mate.AccountID, nil); err != nil {
		t.Fatal(err)
	}
	if _, events := feed(t, renewed); len(events) != 0 {
		t.Errorf("without permission: %d events", len(events))
	}
	if err := w.site.Accounts().SetPermissions(ctx, w.mate.AccountID, []string{timers.PermissionView.Name}); err != nil {
		t.Fatal(err)
	}
	w.setCorporation(t, w.mate, w.officer.Corporation)
	// A deactivated account's link is gone while it is.
	if err := w.site.Accounts().SetActive(ctx, w.mate.AccountID, false, w.su.AccountID); err != nil {
		t.Fatal(err)
	}
	if status, _ := feed(t, renewed); status != http.StatusNotFound {
		t.Errorf("a deactivated member's link: %d", status)
	}
	if err := w.site.Accounts().SetActive(ctx, w.mate.AccountID, true, w.su.AccountID); err != nil {
		t.Fatal(err)
	}
	if status, events := feed(t, renewed); status != http.StatusOK || len(events) != 2 {
		t.Errorf("the link once reactivated: %d, %d events", status, len(events))
	}
	w.mate.Browser.LogIn(t, w.mate.Character)
	expect(t, w.mate, "/calendar/remove", url.Values{}, http.StatusOK, "Your calendar link was removed.")
	if status, _ := feed(t, renewed); status != http.StatusNotFound {
		t.Errorf("a removed link: %d", status)
	}
}

func notices(t *testing.T, w *world, m *sitetest.Member) int {
	t.Helper()
	var n int
	if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE account_id = $1
		AND title_key = 'timers.notice.title'`, m.AccountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testReminders(t *testing.T, w *world) {
	ctx := context.Background()
	// Off by default: nothing is sent.
	expect(t, w.officer, "/timers/add", timerForm("J-LPX7", "raitaru", func(f url.Values) {
		f.Del("hours")
		f.Set("minutes", "10")
		f.Set("corporation_only", "1")
	}), http.StatusOK, "Timer added.")
	w.site.RunJob(t, timers.RemindArgs{})
	if n := notices(t, w, w.mate); n != 0 {
		t.Fatalf("%d reminders with the setting off", n)
	}
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '30', $2)`,
		timers.SettingNotifyMinutes.Name, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The settings are cached for a few seconds: wait until the job sees
	// them, running it (twice at once, as two processes would) until it
	// sends.
	sitetest.WaitFor(t, "the reminder", func() bool {
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); w.site.RunJob(t, timers.RemindArgs{}) }()
		}
		wg.Wait()
		return notices(t, w, w.officer) > 0
	})
	w.site.RunJob(t, timers.RemindArgs{})
	// Once per timer, to those who may see it: the officer and the mate
	// (the corporation), the superuser; not the other corporation, not
	// the member without permission.
	for m, want := range map[*sitetest.Member]int{w.officer: 1, w.mate: 1, w.su: 1, w.other: 0, w.nobody: 0} {
		if got := notices(t, w, m); got != want {
			t.Errorf("%s got %d reminders, want %d", m.Name, got, want)
		}
	}
	// The timers 2 and 26 hours away are not due.
	var n int
	if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM timers WHERE notified_at IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d timers reminded of, want 1", n)
	}
}

// The reminder of a timer that is not corporation-only is posted once in
// the ping channel of the Discord service the setting names; a
// corporation's timer stays in-site.
func TestRemindersOnDiscord(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		w := newWorld(t, d)
		svc := w.site.Services(t, discord.Type)
		sim := discordsim.New(discordsim.Options{BotToken: "timers-bot", ClientID: "400000000000000002", ClientSecret: "s"})
		api := httptest.NewServer(sim)
		t.Cleanup(api.Close)
		guild := sim.AddGuild("Alliance", sim.AddUser("owner").ID)
		channel, err := sim.AddChannel(guild.ID, "pings")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := svc.Create(ctx, services.Input{Slug: "discord", Type: "discord", Name: "Discord"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, inst.ID, services.Input{Name: "Discord", Enabled: true, Settings: map[string]string{
			discord.SettingGuildID: guild.ID, discord.SettingClientID: "400000000000000002", discord.SettingClientSecret: "s",
			discord.SettingBotToken: "timers-bot", discord.SettingAPIURL: api.URL, discord.SettingPingChannel: channel.ID}}); err != nil {
			t.Fatal(err)
		}
		expect(t, w.officer, "/timers/add", timerForm("PUBLIC-1", "tatara", func(f url.Values) { f.Del("hours"); f.Set("minutes", "15") }),
			http.StatusOK, "Timer added.")
		expect(t, w.officer, "/timers/add", timerForm("SECRET-1", "azbel", func(f url.Values) {
			f.Del("hours")
			f.Set("minutes", "15")
			f.Set("corporation_only", "1")
		}), http.StatusOK, "Timer added.")
		for name, value := range map[string]string{timers.SettingNotifyMinutes.Name: "30", timers.SettingNotifyService.Name: "discord"} {
			if _, err := w.site.DB.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)`, name, value, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		sitetest.WaitFor(t, "the post in the ping channel", func() bool {
			w.site.RunJob(t, timers.RemindArgs{})
			return len(sim.Messages(channel.ID)) > 0
		})
		w.site.RunJob(t, timers.RemindArgs{})
		w.site.RunJob(t, timers.RemindArgs{})
		msgs := sim.Messages(channel.ID)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "PUBLIC-1") || !strings.Contains(msgs[0].Content, "Tatara") {
			t.Fatalf("the ping channel holds %+v", msgs)
		}
		if notices(t, w, w.mate) != 2 {
			t.Errorf("the mate has %d reminders, want both timers'", notices(t, w, w.mate))
		}
	})
}
